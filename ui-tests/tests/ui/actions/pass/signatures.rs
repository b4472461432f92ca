use reactive_core::prelude::*;

#[derive(serde::Deserialize)]
struct BackupParams {
    target: String,
}

#[action("backup")]
fn with_params(
    ctx: &mut Context,
    params: BackupParams,
) -> Result<(), reactive_core::actions::ActionError> {
    ctx.action_set("target", &params.target)
}

#[action("backup")]
fn read_only(ctx: &Context, params: serde_json::Value) {
    let _ = (ctx.action_name(), params);
}

#[action("list-jobs")]
fn no_params(ctx: &mut Context) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ctx.action_log("listing")?;
    Ok(())
}

#[action("list-jobs")]
#[not_unless("app.ready")]
fn guarded(ctx: &Context) {
    let _ = ctx;
}

#[action("list-jobs")]
fn nothing() {}

fn main() {}
