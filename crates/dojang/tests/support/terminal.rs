//! The customer at the terminal: a running `dojang` whose prompts a test answers as a person
//! would, with codes read off the simulated phone and digits off the security card.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{text, TestCenter};

/// How long one run of the customer's client may take: a bound against a hang, not a speed
/// limit.
pub const CLIENT_LIMIT: Duration = Duration::from_secs(180);

/// A running program, its output gathered (stdout and stderr together, in the order read) and
/// its standard input open for answers.
pub struct Terminal {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    /// How much of the output had been seen when the last answer went in.
    answered: usize,
}

impl Terminal {
    /// Starts `cmd` with its three standard streams piped.
    pub fn spawn(cmd: &mut Command) -> Terminal {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the program at the terminal");
        let out = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(o) = child.stdout.take() {
            readers.push(gather(o, out.clone()));
        }
        if let Some(e) = child.stderr.take() {
            readers.push(gather(e, out.clone()));
        }
        let stdin = child.stdin.take();
        Terminal { child, stdin, out, readers, answered: 0 }
    }

    /// Everything printed so far.
    pub fn output(&self) -> String {
        self.out.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A prompt waiting for an answer: the output's last line, unfinished and not yet answered,
    /// ending like one (`: ` or `] `).
    pub fn waiting_prompt(&self) -> Option<String> {
        let out = self.output();
        if out.len() <= self.answered {
            return None;
        }
        let tail = &out[out.rfind('\n').map_or(0, |i| i + 1)..];
        (tail.ends_with(": ") || tail.ends_with("] ")).then(|| tail.to_string())
    }

    /// Types `line` and Enter.
    pub fn answer(&mut self, line: &str) {
        self.answered = self.output().len();
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Closes the input (Ctrl+D): the program says what it missed.
    pub fn close_input(&mut self) {
        self.answered = self.output().len();
        self.stdin = None;
    }

    /// Answers each prompt with what `bot` says until the program ends; a prompt `bot` has no
    /// answer for closes the input. (success, everything printed); panics after `limit`.
    pub fn drive(
        mut self,
        limit: Duration,
        mut bot: impl FnMut(&str) -> Option<String>,
    ) -> (bool, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(done) = self.ended() {
                return done;
            }
            if let Some(prompt) = self.waiting_prompt() {
                match bot(&prompt) {
                    Some(answer) => self.answer(&answer),
                    None => self.close_input(),
                }
            }
            self.give_up_after(deadline);
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits until `find` finds something in the output; panics if the program ends first or
    /// `limit` passes.
    pub fn wait_for<T>(
        &mut self,
        limit: Duration,
        what: &str,
        find: impl Fn(&str) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let out = self.output();
            if let Some(found) = find(&out) {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the program ended ({status}) without {what}:\n{}", self.output());
            }
            assert!(Instant::now() < deadline, "no {what} within {limit:?}:\n{out}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the program to end, answering nothing (a prompt closes the input):
    /// (success, everything printed).
    pub fn finish(self, limit: Duration) -> (bool, String) {
        self.drive(limit, |_| None)
    }

    /// Once the program has ended: its success and all it printed, the readers drained to
    /// the end of both pipes first.
    fn ended(&mut self) -> Option<(bool, String)> {
        let status = self.child.try_wait().ok()??;
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Some((status.success(), self.output()))
    }

    fn give_up_after(&mut self, deadline: Instant) {
        if Instant::now() > deadline {
            let _ = self.child.kill();
            panic!("the program did not finish:\n{}", self.output());
        }
    }
}

/// A program left running when its test ends (however it ends) is stopped.
impl Drop for Terminal {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Copies what `from` gives into `into` until it ends, keeping a UTF-8 character split across
/// reads for the next one.
pub fn gather(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut pending: Vec<u8> = Vec::new();
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
            let valid = match std::str::from_utf8(&pending) {
                Ok(s) => s.len(),
                Err(e) => e.valid_up_to(),
            };
            if let Ok(mut s) = into.lock() {
                s.push_str(std::str::from_utf8(&pending[..valid]).unwrap_or_default());
            }
            pending.drain(..valid);
        }
    })
}

/// The digits in the first `[…]` of `t` that holds any: how the center's SMS, ARS calls and
/// deposit memos set out a code.
pub fn code_in(t: &str) -> Option<String> {
    t.split('[').skip(1).find_map(|part| {
        let inside = part.split(']').next().unwrap_or("");
        let digits: String = inside.chars().filter(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    })
}

/// The newest code the center sent to `address` (SMS, ARS call, deposit memo), as a customer
/// reads it off their phone.
pub fn phone_code(c: &TestCenter, address: &str) -> String {
    let out = c.dojang(&["phone", address, "--last", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    code_in(&t).unwrap_or_else(|| panic!("no code in the phone's newest message:\n{t}"))
}

/// The card position a security-card prompt asks for (`보안카드 07번 코드의 앞 2자리: ` → 7).
pub fn card_position(prompt: &str) -> usize {
    let after = prompt.split("보안카드").nth(1).expect("a security-card prompt");
    let digits: String = after
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or_else(|_| panic!("no card position in {prompt:?}"))
}

/// A customer answering every prompt right: codes from the phone at `phone`, digits from
/// their security `card`; no answer to anything else.
pub fn honest<'a>(
    c: &'a TestCenter,
    phone: &'a str,
    card: &'a [String],
) -> impl FnMut(&str) -> Option<String> + 'a {
    move |prompt: &str| {
        if prompt.contains("ARS 승인번호") || prompt.contains("SMS 인증번호") {
            Some(phone_code(c, phone))
        } else if prompt.contains("앞 2자리") {
            Some(card[card_position(prompt) - 1][..2].to_string())
        } else if prompt.contains("뒤 2자리") {
            Some(card[card_position(prompt) - 1][2..].to_string())
        } else {
            None
        }
    }
}
