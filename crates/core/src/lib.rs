//! The pure domain of capture-kiosk, shared by the kiosk and the central service: who a
//! candidate is (`identity`, `roster`, `candidate`), the candidate flow as a state machine
//! (`session`), photo profiles as data (`profile`), what face analysis found (`face`), the
//! photo rules as checks (`compliance`), and the final photo (`photo`). Values in, values
//! out: no IO, no threads, no clock of its own, no models, no database, no screen.
//!
//! Layering inside, bottom to top: `lang`, `identity`, `picture`; `roster`, `candidate`, `profile`;
//! `face`, `compliance`, `photo`, `session`. A module imports only from below it.

pub mod candidate;
pub mod compliance;
pub mod face;
pub mod identity;
pub mod lang;
pub mod photo;
pub mod picture;
pub mod profile;
pub mod roster;
pub mod session;
