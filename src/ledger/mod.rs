//! The domain: steps, statuses, events and the fold. No git in here.

pub mod event;
pub mod event_id;
pub mod fold;
pub mod record;
pub mod status;
pub mod step_id;
pub mod time;

pub use event::{Event, Kind, Skip};
#[cfg(test)]
pub use fold::fold_events;
pub use fold::{LedgerState, Located, StepState};
pub use status::Status;
