//! capture-central: the reference central collection service the kiosks upload to. A small
//! site can run it as it is (`capture-central`, systemd/capture-central.service); the kiosk's
//! tests run it in-process on loopback.
//!
//! `store` keeps what the kiosks send (SQLite + photo files), `server` speaks the protocol of
//! docs/openapi.yaml and serves the reviewers' page `/review`, `handover` writes and reads
//! the files of the offline hand-over and the export for the exam office, `cli` is the
//! command line. It shares only the wire types (`capture_protocol`) and the roster format
//! (`capture_core::roster`) with the kiosk: no camera, screen or face models here.
//!
//! ```no_run
//! let dir = std::path::Path::new("central-data");
//! let token = capture_central::Central::open(dir).unwrap().add_kiosk("site-01").unwrap();
//! let service = capture_central::server::Service::start("127.0.0.1:0".parse().unwrap(), dir, None).unwrap();
//! println!("kiosk site-01: server = {:?}, token = {token:?}", service.base_url());
//! ```

pub mod cli;
pub mod handover;
pub mod server;
pub mod store;

pub use store::{Central, CentralError};
