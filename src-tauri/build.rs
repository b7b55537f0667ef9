// The build script runs with the repository root as its working directory (the root Cargo.toml is the app
// package), so tauri-build finds the root tauri.conf.json; capabilities live in src-tauri/capabilities.
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri-build failed");
}
