//! The automation interface the UI tests (and scripts) drive the real kiosk with. Enabled
//! by `CAPTURE_KIOSK_AUTOMATION=1`; off otherwise. It never acts on the UI itself: it only
//! tells where things are, so that tests press them with real input events (xdotool).
//!
//! On stdout the kiosk announces `automation: screen <Screen>` at every screen change and
//! `automation: stored <capture id>` when a capture is committed. On stdin it answers
//! `where <id>` with `automation: at <x> <y> <width> <height>` (screen pixels of the
//! element whose `accessible-id` is `<id>`) or `automation: missing <id>`; `value <id>`,
//! `label <id>` and `enabled <id>` with the element's accessible value, label and enabled
//! state (`automation: value …`); and `screen` with `automation: current <Screen>`.
//! Camera state changes are announced as `automation: camera <State>`; `stats` answers
//! with cumulative frame counters (`automation: stats t=… camera_frames=… preview_shown=…`).

use super::ui::{KioskAdapter, KioskWindow};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use std::io::{BufRead, Write};

pub const ENV: &str = "CAPTURE_KIOSK_AUTOMATION";

pub fn announce(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "automation: {line}");
    let _ = out.flush();
}

pub fn start(window: slint::Weak<KioskWindow>, stats: Box<dyn Fn() -> String + Send>) {
    std::thread::Builder::new()
        .name("automation".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                let line = line.trim().to_string();
                if line == "stats" {
                    announce(&stats());
                    continue;
                }
                let _ = window.upgrade_in_event_loop(move |w| answer(&w, &line));
            }
        })
        .expect("spawn automation thread");
}

fn answer(w: &KioskWindow, command: &str) {
    match command.split_once(' ') {
        Some(("where", id)) => announce(&locate(w, id)),
        Some(("value", id)) => announce(&match find(w, id) {
            Some(e) => format!("value {}", e.accessible_value().unwrap_or_default()),
            None => format!("missing {id}"),
        }),
        Some(("label", id)) => announce(&match find(w, id) {
            Some(e) => format!("label {}", e.accessible_label().unwrap_or_default()),
            None => format!("missing {id}"),
        }),
        Some(("enabled", id)) => announce(&match find(w, id) {
            Some(e) => format!("enabled {}", e.accessible_enabled().unwrap_or(true)),
            None => format!("missing {id}"),
        }),
        None if command == "screen" => announce(&format!(
            "current {:?}",
            w.global::<KioskAdapter>().get_screen()
        )),
        _ => announce(&format!("unknown command {command:?}")),
    }
}

/// The visible element with this `accessible-id`.
fn find(w: &KioskWindow, id: &str) -> Option<ElementHandle> {
    let wanted = id.to_string();
    i_slint_backend_testing::ElementQuery::from_root(w)
        .match_descendants()
        .match_predicate(move |e| e.accessible_id().is_some_and(|a| a == wanted.as_str()))
        .find_all()
        .into_iter()
        .find(|e| e.computed_opacity() > 0.0 && e.size().width > 0.0 && e.size().height > 0.0)
}

fn locate(w: &KioskWindow, id: &str) -> String {
    let Some(e) = find(w, id) else {
        return format!("missing {id}");
    };
    let scale = w.window().scale_factor();
    let origin = w.window().position();
    let p = e.absolute_position();
    let s = e.size();
    format!(
        "at {} {} {} {}",
        origin.x + (p.x * scale).round() as i32,
        origin.y + (p.y * scale).round() as i32,
        (s.width * scale).round() as i32,
        (s.height * scale).round() as i32
    )
}
