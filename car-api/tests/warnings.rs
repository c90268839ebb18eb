//! A credential file that group or others may access is reported through the handler
//! a program installs (car prints it on stderr every run), not only as a log event.
//! The handler is process-wide, so this file is its own test binary.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;

use car_api::credentials::{
    set_warning_handler, CredentialsWarning, IniFileProvider, ProvideCredentials,
    TccliProfileProvider,
};

static SEEN: Mutex<Vec<CredentialsWarning>> = Mutex::new(Vec::new());

fn record(w: &CredentialsWarning) {
    SEEN.lock().unwrap().push(w.clone());
}

#[tokio::test]
async fn the_installed_handler_receives_every_insecure_file() {
    assert!(set_warning_handler(record));
    assert!(!set_warning_handler(record), "set once per process");

    let home = tempfile::tempdir().unwrap();
    let tccli = home.path().join(".tccli/default.credential");
    std::fs::create_dir_all(tccli.parent().unwrap()).unwrap();
    std::fs::write(&tccli, r#"{"secretId":"AKIDw","secretKey":"warn-secret"}"#).unwrap();
    std::fs::set_permissions(&tccli, std::fs::Permissions::from_mode(0o640)).unwrap();
    let ini = home.path().join(".tencentcloud/credentials");
    std::fs::create_dir_all(ini.parent().unwrap()).unwrap();
    std::fs::write(
        &ini,
        "[default]\nsecret_id = AKIDi\nsecret_key = warn-secret\n",
    )
    .unwrap();
    std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o606)).unwrap();

    TccliProfileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap();
    IniFileProvider::new(home.path(), "default")
        .provide_credentials()
        .await
        .unwrap();

    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            CredentialsWarning::InsecurePermissions {
                path: tccli.clone(),
                mode: 0o100640
            },
            CredentialsWarning::InsecurePermissions {
                path: ini.clone(),
                mode: 0o100606
            },
        ]
    );
    assert_eq!(
        seen[0].to_string(),
        format!(
            "credential file {} is accessible by group or others (mode 640); restrict it with `chmod 600 {}`",
            tccli.display(),
            tccli.display()
        )
    );
}
