//! Free space on the data folder's file system, for `/health`: a monitor
//! hears that the disk is nearly full before writes start to fail.

use std::path::Path;

use serde::Serialize;

/// Below this much free space the disk is low: room for a few large
/// uploads or one import, whatever the size of the disk.
const LOW_BYTES: u64 = 64 * 1024 * 1024;

/// Below this share of the disk free (in per cent) the disk is low too, so
/// that a large disk warns well before its last 64 MiB.
const LOW_PERCENT: u128 = 1;

/// Space on a file system, in bytes: free for this (unprivileged)
/// process, and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub free: u64,
    pub total: u64,
}

impl Space {
    /// The file system holding `path`, from `statvfs(2)`; `None` if it
    /// cannot be asked (the reason is logged). It may block on a network
    /// mount that does not answer, so it runs with the folder check, on
    /// its blocking thread and within its timeout.
    pub fn of(path: &Path) -> Option<Space> {
        match rustix::fs::statvfs(path) {
            Ok(stat) => Some(Space {
                free: stat.f_bavail.saturating_mul(stat.f_frsize),
                total: stat.f_blocks.saturating_mul(stat.f_frsize),
            }),
            Err(e) => {
                log::warn!(
                    "health check: cannot measure the free space of {}: {e}",
                    path.display()
                );
                None
            }
        }
    }

    /// Whether so little is free that writes may soon fail: under 64 MiB,
    /// or under 1 % of the file system.
    pub fn is_low(self) -> bool {
        self.free < LOW_BYTES || u128::from(self.free) * 100 < u128::from(self.total) * LOW_PERCENT
    }
}

/// `/health`'s `disk`: the figures, and `ok`, `low` or `unknown` (not
/// measured, or no answer in time).
#[derive(Debug, Serialize)]
pub struct DiskReport {
    free_bytes: Option<u64>,
    total_bytes: Option<u64>,
    status: &'static str,
}

impl DiskReport {
    pub fn new(space: Option<Space>) -> DiskReport {
        DiskReport {
            free_bytes: space.map(|s| s.free),
            total_bytes: space.map(|s| s.total),
            status: match space {
                Some(space) if space.is_low() => "low",
                Some(_) => "ok",
                None => "unknown",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;

    fn low(free: u64, total: u64) -> bool {
        Space { free, total }.is_low()
    }

    #[test]
    fn under_64_mib_free_is_low_on_any_disk() {
        assert!(low(64 * MIB - 1, 2 * GIB));
        assert!(!low(64 * MIB, 2 * GIB));
        assert!(low(0, 100 * MIB));
    }

    #[test]
    fn under_one_per_cent_free_is_low_on_a_large_disk() {
        // 1 % of 100 GiB is 1 GiB.
        assert!(low(GIB - 1, 100 * GIB));
        assert!(!low(GIB, 100 * GIB));
        // Largest sizes do not overflow.
        assert!(!low(u64::MAX, u64::MAX));
        assert!(low(u64::MAX / 101, u64::MAX));
    }

    #[test]
    fn the_report_says_low_ok_or_unknown() {
        let report = |space| serde_json::to_value(DiskReport::new(space)).unwrap();
        let low = report(Some(Space {
            free: MIB,
            total: GIB,
        }));
        assert_eq!(low["status"], "low");
        assert_eq!(low["free_bytes"], MIB);
        assert_eq!(low["total_bytes"], GIB);
        let fine = report(Some(Space {
            free: GIB,
            total: 2 * GIB,
        }));
        assert_eq!(fine["status"], "ok");
        let unknown = report(None);
        assert_eq!(unknown["status"], "unknown");
        assert!(unknown["free_bytes"].is_null());
    }
}
