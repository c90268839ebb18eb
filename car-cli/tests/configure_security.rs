//! `car configure` against a hostile or careless environment: planted symlinks, a
//! shared ~/.tccli, profile names that leave the directory, and a SecretKey typed on a
//! terminal.

#![cfg(unix)]

mod common;

use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::{Command, Stdio};

use car_emulator::test_server::{TEST_SECRET_ID, TEST_SECRET_KEY};
use common::{mode, Sandbox};
use serde_json::Value;

fn chmod(p: &std::path::Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
}

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
}

/// The old writer used `.NAME.<pid>.tmp`: knowing car's pid (it waits for its answers),
/// another user could plant a symlink there and have car overwrite and chmod its target.
#[test]
fn planted_temporary_symlinks_are_not_followed() {
    let sb = Sandbox::empty();
    let dir = sb.path(".tccli");
    std::fs::create_dir(&dir).expect("mkdir");
    chmod(&dir, 0o700);
    let victim = sb.write("victim.txt", "precious\n");
    chmod(&victim, 0o644);

    let mut child = Command::new(common::BIN)
        .arg("configure")
        .env_clear()
        .envs(sb.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn car");
    let pid = child.id();
    for file in ["credential", "configure"] {
        symlink(&victim, dir.join(format!(".default.{file}.{pid}.tmp"))).expect("plant");
        symlink(&victim, dir.join(format!(".default.{file}.tmp"))).expect("plant");
    }
    let answers = format!("{TEST_SECRET_ID}\n{TEST_SECRET_KEY}\nap-guangzhou\njson\n");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(answers.as_bytes())
        .expect("answer");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    assert_eq!(mode(&victim), 0o644);
    let cred = dir.join("default.credential");
    assert_eq!(read_json(&cred)["secretKey"], TEST_SECRET_KEY);
    assert_eq!(mode(&cred), 0o600);
    assert!(!std::fs::symlink_metadata(&cred)
        .expect("lstat")
        .is_symlink());
}

#[test]
fn a_tccli_directory_others_can_write_is_refused() {
    let sb = Sandbox::empty();
    let dir = sb.path(".tccli");
    std::fs::create_dir(&dir).expect("mkdir");
    chmod(&dir, 0o777);
    let run = sb.car(&["configure", "set", "region", "ap-tokyo"]);
    run.expect(5);
    assert!(
        run.stderr
            .contains("writable by group or others (mode 0777)"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 0);

    // Made private, the same command works.
    chmod(&dir, 0o700);
    sb.car(&["configure", "set", "region", "ap-tokyo"])
        .expect(0);
}

#[test]
fn profile_names_stay_inside_the_directory() {
    let mut sb = Sandbox::empty();
    for bad in ["../x", "a/b", "..", "."] {
        let run = sb.car(&["configure", "set", "region", "r", "--profile", bad]);
        run.expect(2);
        assert!(
            run.stderr.contains("--profile:") && run.stderr.contains("not a valid profile name"),
            "{bad:?}: {}",
            run.stderr
        );
    }
    assert!(!sb.path(".tccli").exists());
    assert!(!sb.path("x.configure").exists());

    sb.set("TCCLI_PROFILE", "../../etc/x");
    let run = sb.car(&["configure", "list"]);
    run.expect(2);
    assert!(run.stderr.contains("TCCLI_PROFILE:"), "{}", run.stderr);
    sb.unset("TCCLI_PROFILE");

    // Names tccli accepts that stay in the directory work as in tccli.
    sb.car(&["configure", "set", "region", "r", "--profile", "my work.2"])
        .expect(0);
    assert!(sb.path(".tccli/my work.2.configure").exists());
}

/// A pseudo-terminal stands in for the user's: what car echoes comes back on its master
/// side, exactly as it would appear on screen.
mod terminal {
    use super::*;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::{Duration, Instant};

    fn openpty() -> (OwnedFd, OwnedFd) {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: out-pointers to two ints; the name, termios and winsize are optional.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty succeeded, so both are open descriptors we now own.
        unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
    }

    fn echoing(fd: &OwnedFd) -> bool {
        // SAFETY: tcgetattr fills the termios it is given; the fd is open.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) }, 0);
        t.c_lflag & libc::ECHO != 0
    }

    /// Waits for the terminal's echo flag to reach `want`: car turns it off while it
    /// reads the SecretKey. A deadline turns a hang into a failure.
    fn wait_for_echo(fd: &OwnedFd, want: bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while echoing(fd) != want {
            assert!(Instant::now() < deadline, "echo never became {want}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn the_secret_key_is_not_echoed() {
        let sb = Sandbox::empty();
        let (master, slave) = openpty();
        let mut child = Command::new(common::BIN)
            .arg("configure")
            .env_clear()
            .envs(sb.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn car");
        let mut screen_fd = std::fs::File::from(master.try_clone().expect("dup"));
        let screen = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            // Ends with EIO once every slave descriptor is closed.
            while let Ok(n) = screen_fd.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            String::from_utf8_lossy(&seen).into_owned()
        });
        let mut keys = std::fs::File::from(master);
        keys.write_all(format!("{TEST_SECRET_ID}\n").as_bytes())
            .expect("type");
        wait_for_echo(&slave, false);
        keys.write_all(format!("{TEST_SECRET_KEY}\n").as_bytes())
            .expect("type");
        wait_for_echo(&slave, true);
        keys.write_all(b"ap-guangzhou\njson\n").expect("type");
        let status = child.wait().expect("wait");
        drop(slave);
        let screen = screen.join().expect("reader");
        assert!(status.success(), "{screen}");

        assert!(
            screen.contains(TEST_SECRET_ID),
            "the SecretId is echoed: {screen}"
        );
        assert!(
            screen.contains("TencentCloud API secretKey [None]: "),
            "{screen}"
        );
        assert!(
            !screen.contains(TEST_SECRET_KEY),
            "SecretKey echoed: {screen}"
        );
        let cred = read_json(&sb.path(".tccli/default.credential"));
        assert_eq!(cred["secretKey"], TEST_SECRET_KEY);
        assert_eq!(cred["secretId"], TEST_SECRET_ID);
    }
}

/// Files tccli or anything else wrote are shown, not obeyed, by the terminal.
#[test]
fn listed_values_cannot_drive_the_terminal() {
    let sb = Sandbox::empty();
    sb.write(
        ".tccli/default.configure",
        r#"{"_sys_param": {"region": "ap-\u001b]0;x\u0007"}, "c\u001b[2J": {"endpoint": "e"}}"#,
    );
    let list = sb.car(&["configure", "list"]);
    list.expect(0);
    assert!(!list.stdout.contains('\u{1b}'), "{:?}", list.stdout);
    assert!(
        list.stdout.contains("region = ap-\\x1b]0;x\\x07\n"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("c\\x1b[2J.endpoint = e\n"),
        "{}",
        list.stdout
    );
    let get = sb.car(&["configure", "get", "region"]);
    assert_eq!(get.expect(0).stdout, "ap-\\x1b]0;x\\x07\n");
}
