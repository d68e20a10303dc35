//! `cargo run -p diameter-dictgen`: regenerates `diameter/codec/src/generated` from
//! `diameter/dict/*.dia`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dict = root.join("dict");
    let out = root.join("codec/src/generated");
    match diameter_dictgen::generate_dir(&dict) {
        Ok(files) => {
            for (name, text) in files {
                let path = out.join(&name);
                if let Err(e) = std::fs::write(&path, text) {
                    eprintln!("diameter-dictgen: writing {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("diameter-dictgen: {e}");
            ExitCode::FAILURE
        }
    }
}
