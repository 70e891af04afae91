//! capture-kiosk: a self-hosted photo-capture kiosk for official graduation / degree
//! photos. The pure core (`identity`, `roster`, `session`, `profile`, `photo`) takes values
//! and returns values; `camera` and `store` touch devices and disk; `app` wires them to
//! the screens in `ui/`. See docs/ARCHITECTURE.md for the map.

pub mod camera;
pub mod central;
pub mod compliance;
pub mod config;
pub mod failpoint;
pub mod identity;
pub mod inspect;
pub mod photo;
pub mod profile;
pub mod protocol;
pub mod roster;
pub mod session;
pub mod store;
pub mod sync;
#[doc(hidden)]
pub mod synthetic;

pub mod app;
pub mod bundle;
pub mod cli;
pub mod doctor;
pub mod vision;
