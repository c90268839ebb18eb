//! `car app …`: shipping a package (release, upload) and managing versions and unfinished
//! uploads, over the `car-release` library.

mod progress;
mod run;

use clap::{Arg, ArgAction, Command};

pub use run::run;

/// Whether `args` (the whole command line) is a `car app` invocation: the root with the
/// global options and this group parses it.
pub fn wants(args: &[String]) -> bool {
    args.iter().skip(1).any(|a| a == "app")
        && match crate::cli::root()
            .subcommand(command())
            .try_get_matches_from(args)
        {
            Ok(m) => m.subcommand_name() == Some("app"),
            // Another command whose option value happens to be `app`.
            Err(e) => !matches!(
                e.kind(),
                clap::error::ErrorKind::InvalidSubcommand | clap::error::ErrorKind::UnknownArgument
            ),
        }
}

fn app_id() -> Arg {
    Arg::new("application-id")
        .long("application-id")
        .value_name("ID")
        .required(true)
        .help("The application (app-…)")
}

fn version_id() -> Arg {
    Arg::new("version-id")
        .long("version-id")
        .value_name("ID")
        .required(true)
        .help("The version (ver-…)")
}

fn upload_args() -> Vec<Arg> {
    vec![
        Arg::new("cos-endpoint")
            .long("cos-endpoint")
            .value_name("URL")
            .help("COS address instead of https://<bucket>.cos.<region>.myqcloud.com"),
        Arg::new("part-size")
            .long("part-size")
            .value_name("MIB")
            .value_parser(clap::value_parser!(u64).range(1..=5120))
            .help("Part size in MiB (default 8)"),
        Arg::new("concurrency")
            .long("concurrency")
            .value_name("N")
            .value_parser(clap::value_parser!(u64).range(1..=64))
            .help("Parts uploaded at once (default 4)"),
        Arg::new("checkpoint-dir")
            .long("checkpoint-dir")
            .value_name("DIR")
            .help("Where resumable uploads are recorded (default ~/.car/uploads)"),
    ]
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::SetTrue)
        .help(help)
}

/// The `app` command group.
pub fn command() -> Command {
    Command::new("app")
        .about("Ship application packages: upload, process, release; versions and uploads")
        .subcommand_required(true)
        .subcommand(
            Command::new("release")
                .about("Create a version from a package (or --url), upload it, process it, optionally release it")
                .arg(Arg::new("path").value_name("PATH").required_unless_present("url").conflicts_with("url"))
                .arg(Arg::new("url").long("url").value_name("URL").help("Have CAR download the package from URL instead"))
                .arg(app_id())
                .arg(Arg::new("regions").long("regions").value_name("REGION").num_args(1..).help("ApplicationVersionRegions"))
                .arg(Arg::new("update-mode").long("update-mode").value_name("MODE").value_parser(["FULL", "INCREMENT"]))
                .arg(flag("wait", "Wait until the version is processed"))
                .arg(flag("online", "Check the launch path and release the version (implies --wait)"))
                .arg(flag("prune-oldest", "At the 5-version limit, delete the oldest version that is not live"))
                .args(upload_args()),
        )
        .subcommand(
            Command::new("upload")
                .about("Upload a package for the application's pending version (DescribeCosCredential + upload)")
                .arg(Arg::new("path").value_name("PATH").required(true))
                .arg(app_id())
                .args(upload_args()),
        )
        .subcommand(Command::new("versions").about("List the application's versions").arg(app_id()))
        .subcommand(
            Command::new("wait")
                .about("Wait until a version is processed")
                .arg(app_id())
                .arg(version_id())
                .arg(flag("online", "Then check the launch path and release it")),
        )
        .subcommand(
            Command::new("online")
                .about("Check the launch path and release a processed version")
                .arg(app_id())
                .arg(version_id()),
        )
        .subcommand(
            Command::new("uploads")
                .about("Unfinished multipart uploads of the application's pending version")
                .subcommand_required(true)
                .subcommand(Command::new("list").about("List them").arg(app_id()).arg(upload_args().remove(0)))
                .subcommand(
                    Command::new("abort")
                        .about("Abort one, freeing its parts")
                        .arg(app_id())
                        .arg(Arg::new("upload-id").long("upload-id").value_name("ID").required(true))
                        .arg(upload_args().remove(0)),
                ),
        )
}
