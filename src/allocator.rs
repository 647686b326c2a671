//! The memory allocator's settings for a small server that runs for months.
//!
//! glibc's defaults suit programs with many busy threads: up to eight
//! arenas per core, and a threshold for giving large blocks their own
//! mapping that rises each time one is freed. Here a crawl of a large site
//! renders thousands of pages on two workers while another thread
//! compresses them, and with those defaults each thread's arena kept what
//! it had once held: after every page of 20 000 notes was fetched the
//! server held 20 MiB of heap where 13 MiB remain with the settings below
//! (docs/performance.md has the figures).

/// Arenas at most: one per worker on the usual two cores; the other
/// threads share them.
const ARENA_MAX: i32 = 2;
/// Blocks from this size get their own mapping and go back to the system
/// when freed (the Brotli encoder's tables, a few MiB each time).
const MMAP_THRESHOLD: i32 = 128 * 1024;
/// Free memory above this at the top of the heap is returned.
const TRIM_THRESHOLD: i32 = 256 * 1024;

/// Applies the settings, unless the environment already tunes the
/// allocator (`MALLOC_*` or `GLIBC_TUNABLES`): the operator's word wins.
/// Call it first, before any other thread starts.
pub fn tune() {
    if !tuned_outside(std::env::vars_os().map(|(name, _)| name)) {
        apply();
    }
}

/// Whether one of these environment variables sets the allocator.
fn tuned_outside(mut names: impl Iterator<Item = std::ffi::OsString>) -> bool {
    names.any(|name| {
        name.to_str()
            .is_some_and(|name| name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES")
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() {
    for (parameter, value) in [
        (libc::M_ARENA_MAX, ARENA_MAX),
        (libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        (libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    ] {
        // SAFETY: mallopt only changes the allocator's parameters, and is
        // called before any other thread exists.
        unsafe {
            libc::mallopt(parameter, value);
        }
    }
}

/// Other C libraries have their own allocators and settings.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> impl Iterator<Item = std::ffi::OsString> {
        list.iter()
            .map(std::ffi::OsString::from)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_environment_s_own_settings_win() {
        assert!(tuned_outside(names(&["PATH", "MALLOC_ARENA_MAX"])));
        assert!(tuned_outside(names(&["GLIBC_TUNABLES"])));
        assert!(!tuned_outside(names(&["PATH", "HOME", "MY_MALLOC"])));
        assert!(!tuned_outside(names(&[])));
    }
}
