//! What Prometheus reads at `/metrics` (on its own listener, METRICS_ADDR):
//! requests and their durations by route, the render cache, notes by
//! state, the outgoing queues, the database pool and the process. Counted
//! as things happen; the figures that live in the database are read when
//! Prometheus asks.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets of request and render durations, in seconds: from a cached
/// page (well under a millisecond) to a slow render or upload.
const DURATION_BUCKETS: &[f64] = &[
    0.000_25, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every metric the site keeps, registered once.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    render_seconds: Histogram,
    pub notes: IntGaugeVec,
    queue_depth: IntGaugeVec,
    queue_failures: IntCounterVec,
    pub pool_connections: IntGaugeVec,
    pub health_probe_up: IntGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "starpunk_http_requests_total",
                "Requests answered, by route pattern, method and status class.",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "starpunk_http_request_duration_seconds",
                "Time from a request's head to its response, by route pattern.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid metric");
        let cache_hits = IntCounter::new(
            "starpunk_cache_hits_total",
            "Pages and feeds answered from the render cache.",
        )
        .expect("valid metric");
        let cache_misses = IntCounter::new(
            "starpunk_cache_misses_total",
            "Pages and feeds not in the render cache when asked for (each is then rendered).",
        )
        .expect("valid metric");
        let render_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "starpunk_cache_render_duration_seconds",
                "Time to render a page or feed for the cache; its count is the renders made.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        let notes = IntGaugeVec::new(Opts::new("starpunk_notes", "Notes by state."), &["state"])
            .expect("valid metric");
        let queue_depth = IntGaugeVec::new(
            Opts::new(
                "starpunk_queue_depth",
                "Items waiting in each outgoing queue (websub, webmention, activitypub).",
            ),
            &["queue"],
        )
        .expect("valid metric");
        let queue_failures = IntCounterVec::new(
            Opts::new(
                "starpunk_queue_failures_total",
                "Failed attempts of each outgoing queue (each is retried or given up).",
            ),
            &["queue"],
        )
        .expect("valid metric");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "starpunk_database_connections",
                "Database pool connections, by whether they are idle or in use.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let health_probe_up = IntGauge::new(
            "starpunk_health_probe_up",
            "1 when the health probe's database query answered at the last scrape, else 0.",
        )
        .expect("valid metric");
        let build_info = IntGaugeVec::new(
            Opts::new("starpunk_build_info", "The running version; always 1."),
            &["version"],
        )
        .expect("valid metric");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_seconds.clone()),
            Box::new(cache_hits.clone()),
            Box::new(cache_misses.clone()),
            Box::new(render_seconds.clone()),
            Box::new(notes.clone()),
            Box::new(queue_depth.clone()),
            Box::new(queue_failures.clone()),
            Box::new(pool_connections.clone()),
            Box::new(health_probe_up.clone()),
            Box::new(build_info),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Metrics {
            registry,
            requests,
            request_seconds,
            cache_hits,
            cache_misses,
            render_seconds,
            notes,
            queue_depth,
            queue_failures,
            pool_connections,
            health_probe_up,
        }
    }

    /// The depth gauge and failure counter of the outgoing queue `name`
    /// (websub, webmention, activitypub).
    pub fn queue(&self, name: &str) -> QueueMetrics {
        QueueMetrics {
            depth: self.queue_depth.with_label_values(&[name]),
            failures: self.queue_failures.with_label_values(&[name]),
        }
    }

    /// One answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .with_label_values(&[route, method, class])
            .inc();
        self.request_seconds
            .with_label_values(&[route])
            .observe(seconds);
    }

    pub fn cache_hit(&self) {
        self.cache_hits.inc();
    }

    /// A miss, and the render that followed it.
    pub fn rendered(&self, seconds: f64) {
        self.cache_misses.inc();
        self.render_seconds.observe(seconds);
    }

    /// The text format Prometheus reads (0.0.4).
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("metrics encode to memory");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// What an outgoing queue reports: how many items wait, and each failed
/// attempt. Cheap to clone; its owner keeps it beside the queue.
#[derive(Clone)]
pub struct QueueMetrics {
    depth: IntGauge,
    failures: IntCounter,
}

impl QueueMetrics {
    /// Figures nobody reads, for a server without METRICS_ADDR: the queue
    /// code stays the same either way.
    pub fn unread() -> QueueMetrics {
        QueueMetrics {
            depth: IntGauge::new("unread_queue_depth", "unread").expect("valid metric"),
            failures: IntCounter::new("unread_queue_failures", "unread").expect("valid metric"),
        }
    }

    /// Items waiting now.
    pub fn set_depth(&self, items: usize) {
        self.depth.set(i64::try_from(items).unwrap_or(i64::MAX));
    }

    /// One attempt failed (it is retried or given up).
    pub fn failed(&self) {
        self.failures.inc();
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_class_with_real_histograms() {
        let metrics = Metrics::new();
        metrics.request("/note/{slug}", "GET", 200, 0.0004);
        metrics.request("/note/{slug}", "GET", 304, 0.0002);
        metrics.request("/note/{slug}", "GET", 404, 0.001);
        let text = metrics.text();
        assert!(
            text.contains(
                r#"starpunk_http_requests_total{method="GET",route="/note/{slug}",status="2xx"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"status="3xx"} 1"#));
        assert!(text.contains(
            r#"starpunk_http_request_duration_seconds_bucket{route="/note/{slug}",le="0.0005"} 2"#
        ), "{text}");
        assert!(text.contains(r#"starpunk_build_info{version=""#));
        assert!(text.contains("# TYPE starpunk_http_request_duration_seconds histogram"));
    }

    #[test]
    fn each_queue_reports_its_depth_and_failures() {
        let metrics = Metrics::new();
        let websub = metrics.queue("websub");
        websub.set_depth(3);
        websub.failed();
        websub.failed();
        let text = metrics.text();
        assert!(
            text.contains(r#"starpunk_queue_depth{queue="websub"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"starpunk_queue_failures_total{queue="websub"} 2"#),
            "{text}"
        );
    }
}
