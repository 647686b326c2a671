//! Compressed forms of cached bodies, made once per body on a thread of
//! their own so no request waits for them.
//!
//! Each body is compressed once per change of the data and then served to
//! every reader, so high levels are worth their cost: gzip at level 9, and
//! Brotli at quality 11 up to 32 KiB (a 20 KB home page: about 30 ms, and
//! 2.6 MiB while it is made) and 10 above (a 63 KB feed: 33 ms and 4 MiB,
//! where 11 takes 73 ms and 5.3 MiB for a body 3.5 % smaller). The
//! encoder's memory counts in the server's peak, which is kept near 20 MiB;
//! its window is fitted to the body for the same reason. Qualities up to 9
//! are no cheaper here: this encoder gives them hash tables of 16 to 28 MiB.
//! One thread, one body at a time, leaves the other cores to requests.
//! Until a body's forms are ready it is served as it is.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Bodies smaller than this stay identity only: they fit in a packet or
/// two whatever their coding, and gzip's own framing eats into the gain.
pub const MIN_COMPRESSED_BYTES: usize = 1024;

/// Jobs waiting for the compressing thread. When it is full (a crawl
/// rendering pages faster than they compress) a page is served
/// uncompressed and offered again on its next request.
const QUEUE: usize = 16;

/// Brotli's best quality, for bodies up to [`BEST_QUALITY_BYTES`].
const BROTLI_BEST: i32 = 11;
const BEST_QUALITY_BYTES: usize = 32 * 1024;
/// For larger bodies: nearly as small, in half the time and with a quarter
/// less memory.
const BROTLI_LARGE: i32 = 10;
/// Brotli's smallest window (RFC 7932 §9.1), and the largest used here:
/// the encoder's tables grow with the window (a sitemap of 50 000
/// addresses, 4.5 MB, took over 100 MiB with a window to hold it all),
/// and 64 KiB already holds every page and feed whole.
const BROTLI_WINDOW_BITS: std::ops::RangeInclusive<i32> = 10..=16;

/// `body` in Brotli, at quality 11 up to 32 KiB and 10 above.
pub fn brotli(body: &[u8]) -> Vec<u8> {
    let quality = if body.len() <= BEST_QUALITY_BYTES {
        BROTLI_BEST
    } else {
        BROTLI_LARGE
    };
    let mut params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: window_bits(body.len()),
        size_hint: body.len(),
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_TEXT,
        ..Default::default()
    };
    params.large_window = false;
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out
}

/// The smallest window that holds the whole body, up to 64 KiB: a larger
/// one only costs memory and compresses no better.
fn window_bits(len: usize) -> i32 {
    let mut bits = *BROTLI_WINDOW_BITS.start();
    // A window of 2^bits bytes holds 2^bits - 16 of them (RFC 7932 §9.1).
    while bits < *BROTLI_WINDOW_BITS.end() && (1usize << bits) - 16 < len {
        bits += 1;
    }
    bits
}

/// `body` in gzip at level 9 (no file name, time 0: the same bytes give
/// the same output).
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
    encoder
        .write_all(body)
        .expect("compressing into memory cannot fail");
    encoder
        .finish()
        .expect("compressing into memory cannot fail")
}

/// Something to do on the compressing thread.
pub type Job = Box<dyn FnOnce() + Send>;

/// A thread that runs compression jobs one at a time, in the order they
/// are offered; it ends when its `Compressor` is dropped.
pub struct Compressor {
    jobs: SyncSender<Job>,
}

impl Compressor {
    pub fn start() -> Compressor {
        let (jobs, queue) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("compress".into())
            .spawn(move || run(queue))
            .expect("the system can start a thread");
        Compressor { jobs }
    }

    /// Queues `job`; `false` when the queue is full (the job is dropped).
    pub fn offer(&self, job: Job) -> bool {
        self.jobs.try_send(job).is_ok()
    }

    /// Waits until every job offered before has run.
    #[cfg(test)]
    pub fn settle(&self) {
        let (done, finished) = sync_channel(1);
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(());
            }))
            .expect("the thread runs while we exist");
        finished.recv().expect("the thread runs every job");
    }
}

fn run(queue: Receiver<Job>) {
    for job in queue {
        // A job that panics must not stop the ones after it; its page
        // simply stays uncompressed.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn text(len: usize) -> Vec<u8> {
        let words = ["notes ", "feeds ", "<p>garden</p> ", "bicycle ", "\n"];
        (0..)
            .map(|i| words[i * 7 % 5])
            .flat_map(str::bytes)
            .take(len)
            .collect()
    }

    #[test]
    fn both_forms_decode_to_the_body() {
        for len in [0, 1, 1024, 70_000] {
            let body = text(len);
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&gzip(&body)[..])
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, body, "gzip, {len} bytes");
            let mut decoded = Vec::new();
            brotli::Decompressor::new(&brotli(&body)[..], 4096)
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, body, "brotli, {len} bytes");
        }
    }

    #[test]
    fn the_window_holds_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1008), 10);
        assert_eq!(window_bits(1009), 11);
        assert_eq!(window_bits(60_000), 16);
        assert_eq!(window_bits(4_500_000), 16, "a large sitemap");
        assert_eq!(window_bits(usize::MAX), 16);
    }

    #[test]
    fn jobs_run_in_order_and_a_full_queue_refuses() {
        let compressor = Compressor::start();
        let (gate, wait) = sync_channel::<()>(0);
        assert!(compressor.offer(Box::new(move || {
            let _ = wait.recv();
        })));
        let mut offered = 0;
        while compressor.offer(Box::new(|| {})) {
            offered += 1;
        }
        assert!(offered <= QUEUE, "the queue is bounded");
        drop(gate);
        compressor.settle();
        assert!(compressor.offer(Box::new(|| {})), "room again");
    }
}
