//! Test support shared by the integration tests: a fake upstream forge, validators built from
//! the official API descriptions, and the example payloads of the seed docs.
#![allow(dead_code)]

pub mod fake;
pub mod fixtures;
pub mod gateway;
pub mod schema;
pub mod tmp;

/// The built `forgebridge` with `args`, run from `cwd`, without any
/// `FORGEBRIDGE_*` variable of the test's environment.
pub fn forgebridge_command(cwd: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_forgebridge"));
    cmd.args(args).current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("FORGEBRIDGE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `forgebridge_command` without `RUST_LOG` either, run to its end.
pub fn run_forgebridge(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    forgebridge_command(cwd, args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run forgebridge")
}

/// Whether process `pid` holds a socket listening on loopback TCP `port`:
/// the listening sockets of `/proc/net/tcp` for that port, matched by inode
/// against the process's open descriptors.
pub fn listens(pid: u32, port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    let local = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            (cols.len() > 9 && cols[1] == local && cols[3] == "0A")
                .then(|| format!("socket:[{}]", cols[9]))
        })
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .map(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
            .unwrap_or(false)
    })
}

/// Why a started process is not listening.
#[derive(Debug)]
pub enum NotListening {
    Exited(std::process::ExitStatus),
    TimedOut,
}

/// Waits, at most 10 s, until `child` itself listens on loopback TCP `port`:
/// a socket of its own, not whatever else may have taken the port.
pub async fn until_listening(
    child: &mut std::process::Child,
    port: u16,
) -> Result<(), NotListening> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return Err(NotListening::Exited(st));
        }
        if listens(child.id(), port) {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(NotListening::TimedOut);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
