//! capture-kiosk: the photo-capture kiosk. The pure domain is `capture_core`, the face
//! models `capture_vision`, the wire types `capture_protocol`; this crate is the kiosk
//! around them, bottom to top:
//!
//! - `config` (the site's TOML), `camera` (frame sources and the camera thread), `store`
//!   (SQLite + photo files, the outbox), `sync` (the central service), `bundle` (the offline
//!   hand-over);
//! - `flow`: the one driver of the candidate flow — session, photo held for review, store —
//!   used by the window and the windowless capture alike;
//! - `app` (the window: wiring and painting), `headless` (`capture` with no window),
//!   `doctor`, `cli`.
//!
//! See docs/ARCHITECTURE.md for the map.

pub mod bundle;
pub mod camera;
pub mod config;
pub mod failpoint;
pub mod flow;
pub mod store;
pub mod sync;
#[doc(hidden)]
pub mod synthetic;

pub mod app;
pub mod cli;
pub mod doctor;
pub mod headless;
