//! Writers killed one round after another with nothing repairing in
//! between (no server running), so that their leftovers pile up, several
//! for one note: a single `check --repair` must then resolve every one,
//! and every acknowledged write must be intact.

use std::ops::Range;
use std::time::Duration;

use crate::writers::{Ledger, Xorshift, assert_check_clean, list_notes, repair, vars_for};

/// Each seed runs on a fresh data folder. A failing seed is printed; put
/// it alone here to repeat the run.
const SEEDS: [u64; 8] = [
    0x5eed_0000_0000_0001,
    0x5eed_0000_0000_0002,
    0x5eed_0000_0000_0003,
    0x5eed_0000_0000_0004,
    0x5eed_0000_0000_0005,
    0x5eed_0000_0000_0006,
    0x5eed_0000_0000_0007,
    0x5eed_0000_0000_0008,
];

/// Notes each seed starts with, so that edits and deletes pile up on them.
const NOTES: usize = 4;

/// Rounds of one to three writers per seed.
const ROUNDS: usize = 16;

/// Notes of 20 to 400 kB, so that kills often land while a file is being
/// written or synced.
const FILLER: Range<u64> = 20_000..400_000;

/// Writers are killed this long after their round starts, at most: long
/// enough to reach every step of a write of the largest note here, and
/// never shorter than what a whole write takes on the machine at hand (a
/// slow or busy one), so that kills land all along the writes.
const KILL_WITHIN: Duration = Duration::from_millis(60);

/// What one seed's run did.
struct Outcome {
    killed: usize,
    repaired: usize,
    notes: usize,
}

#[test]
fn one_repair_resolves_every_leftover_of_writers_killed_over_many_rounds() {
    let (mut killed, mut repaired) = (0, 0);
    for seed in SEEDS {
        match std::panic::catch_unwind(|| kill_then_repair(seed)) {
            Ok(outcome) => {
                eprintln!(
                    "seed {seed:#x}: {} writers killed, {} leftovers repaired, {} notes",
                    outcome.killed, outcome.repaired, outcome.notes
                );
                killed += outcome.killed;
                repaired += outcome.repaired;
            }
            Err(panic) => {
                eprintln!("failed with seed {seed:#x}");
                std::panic::resume_unwind(panic);
            }
        }
    }
    assert!(killed > 0, "no writer was killed: nothing was tested");
    assert!(
        repaired > 0,
        "no writer left anything behind: nothing was tested"
    );
}

fn kill_then_repair(seed: u64) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = tempfile::tempdir().expect("temp dir");
    let vars = vars_for(dir.path());
    let mut rng = Xorshift(seed);
    let mut ledger = Ledger::new(FILLER);
    let started = std::time::Instant::now();
    ledger.create_notes(&vars, &mut rng, NOTES);
    let one_write = started.elapsed() / NOTES as u32;
    let kill_within = KILL_WITHIN.max(one_write * 2);
    let mut killed = 0;
    for _ in 0..ROUNDS {
        killed += ledger
            .round(&vars, inputs.path(), &mut rng, kill_within)
            .killed;
    }
    let repaired = repair(&vars);
    let count = assert_check_clean(&vars);
    ledger.resolve(&list_notes(&vars));
    assert_eq!(count, ledger.len());
    Outcome {
        killed,
        repaired,
        notes: count,
    }
}
