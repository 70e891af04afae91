//! Compiles the UI (ui/*.slint with the bundled translations) and embeds the demo
//! camera's frames (assets/demo/*.jpg).

use std::io::Write;

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .embed_resources(slint_build::EmbedResourcesKind::EmbedFiles)
        // Element metadata for the automation interface the UI tests drive (src/app/automation.rs).
        .with_debug_info(true);
    slint_build::compile_with_config("ui/app.slint", config).expect("ui/app.slint compiles");

    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let demo_dir = std::path::Path::new("assets/demo");
    println!("cargo:rerun-if-changed={}", demo_dir.display());
    let mut frames: Vec<_> = std::fs::read_dir(demo_dir)
        .expect("assets/demo exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    frames.sort();
    assert!(
        !frames.is_empty(),
        "assets/demo holds the demo camera's frames"
    );
    let mut f = std::fs::File::create(out.join("demo_frames.rs")).unwrap();
    writeln!(f, "pub static FRAMES: &[&[u8]] = &[").unwrap();
    for p in frames {
        let abs = std::fs::canonicalize(&p).unwrap();
        writeln!(f, "    include_bytes!({:?}),", abs.display().to_string()).unwrap();
    }
    writeln!(f, "];").unwrap();
}
