//! Safe files against the real file system: a failed export leaves the old file and no temporary file.
//! The permission and disk-full cases run in a child process (this test binary again): as an unprivileged
//! user (root ignores a folder's mode bits), and with `RLIMIT_FSIZE` so that a write fails with EFBIG the
//! way a full disk fails it.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use tapstand_error::safe_file::{write_file, SafeFile};

/// Names in `dir` (to see that no temporary file was left).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn replaces_on_success_and_leaves_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("门店.csv");
    std::fs::write(&target, "old").unwrap();
    #[cfg(unix)]
    let old_mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        0o640
    };
    let mut f = SafeFile::create(&target).unwrap();
    let tmp = f.temp_path().unwrap().to_path_buf();
    assert_eq!(
        tmp.parent(),
        Some(dir.path()),
        "the temp file is in the target's folder"
    );
    f.write_all(b"new contents").unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"old",
        "untouched before commit"
    );
    f.commit().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new contents");
    assert_eq!(names(dir.path()), vec!["门店.csv"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, old_mode, "the replaced file keeps its mode");
    }
}

#[test]
fn a_failed_body_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("h.csv");
    std::fs::write(&target, "old").unwrap();
    let err = write_file(&target, |w| {
        w.write_all(&[b'x'; 200_000])?;
        Err::<(), _>(std::io::Error::other("the database went away"))
    })
    .unwrap_err();
    assert_eq!(err.code, "file.write_failed");
    assert!(err.detail.unwrap().contains("the database went away"));
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names(dir.path()), vec!["h.csv"]);
}

#[test]
fn a_dropped_file_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.pdf");
    {
        let mut f = SafeFile::create(&target).unwrap();
        f.write_all(b"%PDF").unwrap();
        assert_eq!(names(dir.path()).len(), 1);
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn a_folder_as_target_and_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub.csv");
    std::fs::create_dir(&sub).unwrap();
    let e = write_file(&sub, |w| w.write_all(b"x")).unwrap_err();
    assert_eq!(e.code, "file.is_folder");
    assert!(e.zh.message.contains("文件夹"));
    assert!(sub.is_dir());

    let e = write_file(&dir.path().join("gone").join("a.csv"), |w| {
        w.write_all(b"x")
    })
    .unwrap_err();
    assert_eq!(e.code, "file.folder_missing");
    assert_eq!(names(dir.path()), vec!["sub.csv"]);
}

// ---- child processes ----

/// Run by the parent tests only (the env var says what to do); a no-op in a normal run.
#[test]
fn child_entry() {
    let Ok(target) = std::env::var("SAFE_FILE_CHILD_TARGET") else {
        return;
    };
    let size: usize = std::env::var("SAFE_FILE_CHILD_BYTES")
        .unwrap()
        .parse()
        .unwrap();
    let r = write_file(Path::new(&target), |w| {
        let chunk = vec![b'y'; 8192];
        for _ in 0..size / chunk.len() {
            w.write_all(&chunk)?;
        }
        Ok(())
    });
    match r {
        Ok(()) => println!("CHILD-RESULT=ok"),
        Err(e) => println!("CHILD-RESULT={}\nCHILD-ZH={}", e.code, e.zh.message),
    }
}

#[cfg(unix)]
fn child(target: &Path, bytes: usize) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env("SAFE_FILE_CHILD_TARGET", target)
        .env("SAFE_FILE_CHILD_BYTES", bytes.to_string());
    c
}

#[cfg(unix)]
fn result_of(out: std::process::Output) -> String {
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {s}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.lines()
        .find_map(|l| l.split_once("CHILD-RESULT=").map(|(_, r)| r.trim()))
        .unwrap_or_else(|| panic!("no result from child: {s}"))
        .to_string()
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_says_no_permission_and_keeps_the_old_file() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = base.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    let target = dir.join("门店.csv");
    std::fs::write(&target, "old").unwrap();
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let mut c = child(&target, 8192);
    if root {
        // Root ignores mode bits: the child runs as `nobody`, which owns the folder, so only the mode
        // (not the owner) makes it read-only.
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        std::os::unix::fs::chown(&target, Some(65534), Some(65534)).unwrap();
        c.uid(65534).gid(65534);
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = c.output().expect("run the child");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(result_of(out), "file.no_permission");
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names(&dir), vec!["门店.csv"]);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_says_so_and_keeps_the_old_file() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("history.csv");
    std::fs::write(&target, "old").unwrap();
    let mut c = child(&target, 1 << 20);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 64 * 1024,
                rlim_max: 64 * 1024,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Past the limit the kernel sends SIGXFSZ; ignored, the write fails with EFBIG instead.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = c.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(result_of(out), "file.disk_full");
    assert!(stdout.contains("磁盘空间不足"), "{stdout}");
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names(dir.path()), vec!["history.csv"]);
}
