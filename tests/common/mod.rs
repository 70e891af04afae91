//! Drives the real `capture-kiosk` binary in a real window: each test gets its own Xvfb,
//! presses buttons with real X input events (xdotool) at the places the kiosk's
//! automation interface reports, and takes screenshots with ImageMagick.
#![allow(dead_code)]

pub mod central;
pub mod liar;
pub mod proxy;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long to wait for the kiosk to show something before the test fails (a guard
/// against hanging, not a performance assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `done` holds, looking every 50 ms; fails the test after [`PATIENCE`] (a
/// guard against hanging, not a timing assertion) with `what` and `state()`.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "still waiting after {PATIENCE:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn kiosk_bin() -> &'static str {
    env!("CARGO_BIN_EXE_capture-kiosk")
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A private X server.
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start(width: u32, height: u32) -> Display {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt-get install xvfb; .ci/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb reports its display");
        let name = format!(":{}", line.trim());
        Display { child, name }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Kiosk {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    pending: VecDeque<String>,
    pub display: String,
    pub data_dir: PathBuf,
    stderr_path: PathBuf,
    window: Option<String>,
}

/// A kiosk test environment: a temp dir with a config, a data dir and the log.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// `config` is TOML text (every key optional).
    pub fn new(config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Site { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a `capture-kiosk` subcommand against this site; returns (status, stdout).
    pub fn cli(&self, args: &[&str]) -> (i32, String) {
        let (code, stdout, _) = self.cli_both(args);
        (code, stdout)
    }

    /// The same, returning (status, stdout, stderr).
    pub fn cli_both(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(kiosk_bin())
            .args(args)
            .arg("--config")
            .arg(self.config())
            .arg("--data-dir")
            .arg(self.data_dir())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The staff's actions in the audit log, oldest first.
    pub fn staff_actions(&self) -> Vec<String> {
        let db = rusqlite::Connection::open(self.data_dir().join("kiosk.db")).unwrap();
        let mut stmt = db
            .prepare("SELECT action FROM audit WHERE actor = 'staff' ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    pub fn import_demo_roster(&self) {
        let (code, out) = self.cli(&[
            "roster",
            "import",
            repo().join("assets/demo/roster.csv").to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{out}");
    }

    pub fn start_kiosk(&self, display: &Display, extra: &[&str]) -> Kiosk {
        let stderr_path = self.dir.path().join("kiosk.log");
        let mut child = Command::new(kiosk_bin())
            .arg("run")
            .arg("--config")
            .arg(self.config())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(extra)
            .env("DISPLAY", &display.name)
            .env("CAPTURE_KIOSK_AUTOMATION", "1")
            .env("SLINT_BACKEND", "winit-software")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("automation: ")
                    && tx.send(rest.to_string()).is_err()
                {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        // Wait until the window is on screen: a click before that would be lost.
        let search = Command::new("timeout")
            .args([
                "60",
                "xdotool",
                "search",
                "--sync",
                "--onlyvisible",
                "--class",
                "capture-kiosk",
            ])
            .env("DISPLAY", &display.name)
            .output()
            .expect("xdotool runs (apt-get install xdotool; .ci/run installs it)");
        let window = String::from_utf8_lossy(&search.stdout)
            .lines()
            .last()
            .map(str::to_string);
        if window.is_none() {
            let _ = child.kill();
            let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!(
                "the kiosk window never appeared on {}:\n{log}",
                display.name
            );
        }
        Kiosk {
            child,
            stdin,
            lines: rx,
            pending: VecDeque::new(),
            display: display.name.clone(),
            data_dir: self.data_dir(),
            stderr_path,
            window,
        }
    }
}

impl Kiosk {
    /// The next announcement that satisfies `wanted`; others stay pending.
    pub fn expect(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(i) = self.pending.iter().position(|l| wanted(l)) {
                return self.pending.remove(i).unwrap();
            }
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.pending.push_back(line),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "waited in vain for {what}; pending: {:?}\n{}",
                    self.pending,
                    self.log()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the kiosk exited while waiting for {what}; pending: {:?}\n{}",
                        self.pending,
                        self.log()
                    )
                }
            }
        }
    }

    /// Waits for the announcement `<kind> <value>`; earlier announcements of the same
    /// kind are passed over (they are states the kiosk has already left).
    fn wait_state(&mut self, kind: &str, value: &str) {
        let prefix = format!("{kind} ");
        let wanted = format!("{kind} {value}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            while let Some(i) = self.pending.iter().position(|l| l.starts_with(&prefix)) {
                if self.pending.remove(i).unwrap() == wanted {
                    return;
                }
            }
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.pending.push_back(line),
                Err(_) => panic!(
                    "waited in vain for {wanted:?}; pending: {:?}\n{}",
                    self.pending,
                    self.log()
                ),
            }
        }
    }

    /// Waits until the kiosk shows `screen`.
    pub fn wait_screen(&mut self, screen: &str) {
        self.wait_state("screen", screen);
    }

    /// Asserts the screen the kiosk shows now (asked, not waited for).
    pub fn ask_screen(&mut self, screen: &str) {
        let answer = self.ask("screen", |l| l.starts_with("current "));
        assert_eq!(answer, format!("current {screen}"), "{}", self.log());
    }

    /// On the review screen: "Use this photo"; when the photo fails a required check the
    /// kiosk asks for the staff PIN and a reason, and staff give `pin` and the reason
    /// "the check is mistaken". Returns the "stored <id>" line, and whether staff had to.
    pub fn accept_photo(&mut self, pin: &str) -> (String, bool) {
        self.click("accept");
        let next = self.expect("the photo stored or the staff asked", |l| {
            l.starts_with("stored ") || l == "screen StaffPin"
        });
        if next.starts_with("stored ") {
            return (next, false);
        }
        self.type_keys(pin);
        self.key("Return");
        self.wait_screen("OverrideReason");
        self.click("override-reason-2");
        self.click("override-accept");
        (
            self.expect("the stored capture", |l| l.starts_with("stored ")),
            true,
        )
    }

    /// Waits until the camera is in `state` (Streaming, Disconnected, …).
    pub fn wait_camera(&mut self, state: &str) {
        self.wait_state("camera", state);
    }

    fn ask(&mut self, command: &str, answer: impl Fn(&str) -> bool) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        self.expect(command, answer)
    }

    /// Screen rectangle of the visible element with this automation id, waiting for it.
    pub fn locate(&mut self, id: &str) -> (i32, i32, i32, i32) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let answer = self.ask(&format!("where {id}"), |l| {
                l.starts_with("at ") || l == format!("missing {id}")
            });
            if let Some(rest) = answer.strip_prefix("at ") {
                let n: Vec<i32> = rest.split(' ').map(|v| v.parse().unwrap()).collect();
                return (n[0], n[1], n[2], n[3]);
            }
            assert!(
                Instant::now() < deadline,
                "no visible element {id:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One of the visible element's accessible properties (`value`, `label`, `enabled`).
    fn query(&mut self, property: &str, id: &str) -> String {
        self.locate(id);
        let answer = self.ask(&format!("{property} {id}"), |l| {
            l.starts_with(property) || l == format!("missing {id}")
        });
        let value = answer.strip_prefix(property);
        value
            .unwrap_or_else(|| panic!("{id} vanished"))
            .trim_start()
            .to_string()
    }

    /// The accessible value of an element (what an entry field holds).
    pub fn value(&mut self, id: &str) -> String {
        self.query("value", id)
    }

    /// The accessible label of an element (a button's text, in the current language).
    pub fn label(&mut self, id: &str) -> String {
        self.query("label", id)
    }

    /// Whether an element (a button) can be pressed.
    pub fn enabled(&mut self, id: &str) -> bool {
        self.query("enabled", id) == "true"
    }

    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?} failed");
    }

    /// Presses the element with this automation id: a real pointer click in its middle.
    pub fn click(&mut self, id: &str) {
        let (x, y, w, h) = self.locate(id);
        self.xdotool(&[
            "mousemove",
            "--sync",
            &(x + w / 2).to_string(),
            &(y + h / 2).to_string(),
            "click",
            "1",
        ]);
        // Hand the UI one event-loop turn so the next query sees the result.
        self.ask("screen", |l| l.starts_with("current "));
    }

    /// Types on the real keyboard (as a USB barcode scanner or a keyboard does).
    pub fn type_keys(&mut self, text: &str) {
        self.focus();
        self.xdotool(&["type", "--delay", "25", text]);
        self.ask("screen", |l| l.starts_with("current "));
    }

    pub fn key(&mut self, name: &str) {
        self.focus();
        self.xdotool(&["key", name]);
        self.ask("screen", |l| l.starts_with("current "));
    }

    /// Gives the kiosk window the keyboard focus (there is no window manager to do it).
    fn focus(&mut self) {
        if self.window.is_none() {
            let out = Command::new("xdotool")
                .args(["search", "--class", "capture-kiosk"])
                .env("DISPLAY", &self.display)
                .output()
                .unwrap();
            let id = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .expect("kiosk window")
                .to_string();
            self.window = Some(id);
        }
        let id = self.window.clone().unwrap();
        self.xdotool(&["windowfocus", &id]);
    }

    /// Saves what the screen shows. Returns the PNG path.
    pub fn screenshot(&mut self, path: &Path) -> PathBuf {
        // Let the last change reach the screen.
        self.ask("screen", |l| l.starts_with("current "));
        std::thread::sleep(Duration::from_millis(300));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("import")
            .args(["-window", "root", path.to_str().unwrap()])
            .env("DISPLAY", &self.display)
            .status()
            .expect("ImageMagick import runs");
        assert!(status.success());
        path.to_owned()
    }

    /// Where the kiosk's window is on the screen and how big: (x, y, width, height), as the
    /// X server has it.
    pub fn window_geometry(&self) -> (i32, i32, i32, i32) {
        let window = self
            .window
            .as_deref()
            .expect("the window was found at start");
        let out = Command::new("xdotool")
            .args(["getwindowgeometry", "--shell", window])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xdotool runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| -> i32 {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in {text:?}"))
        };
        (field("X"), field("Y"), field("WIDTH"), field("HEIGHT"))
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.stderr_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// `kill -9`: no chance to clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn close(mut self) {
        // SIGTERM-like end: close stdin and kill; the store is crash-safe either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> String {
    capture_protocol::sha256_hex(&std::fs::read(path).unwrap())
}

/// A replay folder of camera frames that pass every required check: the reference photo
/// made from the public-domain Grace Hopper portrait, scaled into a 1280×720 frame exactly
/// where the kiosk's photo frame is, on the profile's blue, swaying by a pixel or two, and
/// blinking (synthetic: her eyes painted over with the skin below
/// them for four frames every four seconds) — a sign of life, without which a face on video
/// is not taken.
pub fn compliant_camera(dir: &Path) -> String {
    portrait_camera(dir, true, None)
}

/// The live candidate of [`compliant_camera`] in front of a backdrop of another colour
/// (a site's white wall, say).
pub fn compliant_camera_on(dir: &Path, backdrop: [u8; 3]) -> String {
    portrait_camera(dir, true, Some(backdrop))
}

/// The backdrop alone, nobody in front: a wall of one colour with a little sensor noise.
pub fn empty_backdrop_camera(dir: &Path, backdrop: [u8; 3]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..4u32 {
        let frame = image::RgbImage::from_fn(1280, 720, |x, y| {
            let n = ((x * 7 + y * 13 + i * 5) % 5) as u8;
            image::Rgb(backdrop.map(|c| c.saturating_sub(2) + n))
        });
        frame.save(dir.join(format!("frame-{i:02}.jpg"))).unwrap();
    }
    format!("replay:{}", dir.display())
}

/// The same portrait held perfectly still in front of the camera, as a printed photo is:
/// six identical frames, no sway, no blink.
pub fn still_print_camera(dir: &Path) -> String {
    portrait_camera(dir, false, None)
}

fn portrait_camera(dir: &Path, live: bool, backdrop: Option<[u8; 3]>) -> String {
    use capture_kiosk::camera::replay::live;
    std::fs::create_dir_all(dir).unwrap();
    let mut profile = capture_core::profile::Profile::builtin("bj-degree").unwrap();
    if let Some(colour) = backdrop {
        profile.output.background = colour;
    }
    let mut analyzer = capture_vision::FaceAnalyzer::load().unwrap();
    let source = image::open(repo().join("tests/fixtures/portraits/grace_hopper.jpg"))
        .unwrap()
        .to_rgb8();
    let candidate = capture_kiosk::synthetic::LiveCandidate::from_portrait(
        &mut analyzer,
        &source,
        &profile,
        (1280, 720),
    )
    .unwrap();
    // Live: a whole cycle of sway and blink; a print: six identical frames.
    let frames = if live { live::FRAMES } else { 6 };
    for i in 0..frames {
        let pose = if live { live::step(i) } else { (0, false) };
        candidate
            .frame(pose)
            .save(dir.join(format!("frame-{i:03}.jpg")))
            .unwrap();
    }
    format!("replay:{}", dir.display())
}
