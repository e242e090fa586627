use crate::{exit, print_json, Failure};
use clap::Subcommand;
use std::path::Path;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Check every file of the manifest (presence and sha256).
    Verify,
}

pub fn run(action: ModelsCommand, model_dir: &Path) -> Result<(), Failure> {
    match action {
        ModelsCommand::Verify => {
            let set = kyc_models::ModelSet::open(model_dir)
                .map_err(|e| Failure::new(exit::MODELS, e.to_string()))?;
            let files: Vec<serde_json::Value> = kyc_models::manifest()
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "name": f.name,
                        "sha256": f.sha256,
                        "purpose": f.purpose,
                        "verified": set.path(&f.name).is_ok(),
                    })
                })
                .collect();
            print_json(&serde_json::json!({
                "model_dir": set.dir().display().to_string(),
                "ok": true,
                "files": files,
            }))
        }
    }
}
