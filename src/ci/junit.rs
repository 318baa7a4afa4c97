//! `verify --junit FILE`: the run as JUnit XML, which GitLab, Jenkins and
//! GitHub's test-report actions display natively. One `testsuite` per step,
//! one `testcase` per check command; the output tails are the redacted ones
//! the evidence stores, so the report holds nothing the ledger does not.

use super::escape::xml;
use serde_json::Value;

pub enum Outcome {
    Passed,
    Failed { exit: i64, timed_out: bool },
    Skipped(String),
}

pub struct Case {
    /// The (redacted) command.
    pub name: String,
    pub ms: u64,
    pub outcome: Outcome,
    /// The redacted tail of the output.
    pub output: String,
}

pub struct Suite {
    pub step: String,
    pub title: String,
    pub timestamp: String,
    /// name → value: the commit, the status the run left.
    pub properties: Vec<(String, String)>,
    pub cases: Vec<Case>,
}

impl Case {
    /// A case from one entry of an evidence event's `checks`.
    pub fn from_check(check: &Value) -> Case {
        let exit = check.get("exit").and_then(Value::as_i64).unwrap_or(-1);
        let timed_out = check.get("timed_out").and_then(Value::as_bool) == Some(true);
        Case {
            name: check
                .get("cmd")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            ms: check.get("ms").and_then(Value::as_u64).unwrap_or(0),
            outcome: if crate::ledger::event::check_passed(check) {
                Outcome::Passed
            } else {
                Outcome::Failed { exit, timed_out }
            },
            output: check
                .get("out_tail")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }
    }

    pub fn skipped(name: &str, why: &str) -> Case {
        Case {
            name: name.to_string(),
            ms: 0,
            outcome: Outcome::Skipped(why.to_string()),
            output: String::new(),
        }
    }
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The whole report.
pub fn render(suites: &[Suite]) -> String {
    let count = |f: fn(&Outcome) -> bool| -> usize {
        suites
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| f(&c.outcome))
            .count()
    };
    let tests = count(|_| true);
    let failures = count(|o| matches!(o, Outcome::Failed { .. }));
    let ms: u64 = suites.iter().flat_map(|s| &s.cases).map(|c| c.ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"git ledger verify\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">\n",
        seconds(ms)
    ));
    for (i, s) in suites.iter().enumerate() {
        out.push_str(&suite(i, s));
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite(index: usize, s: &Suite) -> String {
    let failures = s
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
        .count();
    let skipped = s
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    let ms: u64 = s.cases.iter().map(|c| c.ms).sum();
    let name = if s.title.is_empty() {
        s.step.clone()
    } else {
        format!("{} {}", s.step, s.title)
    };
    let mut out = format!(
        "  <testsuite name=\"{}\" id=\"{index}\" package=\"ledger\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{}\">\n",
        xml(&name),
        s.cases.len(),
        seconds(ms),
        xml(&s.timestamp)
    );
    if !s.properties.is_empty() {
        out.push_str("    <properties>\n");
        for (k, v) in &s.properties {
            out.push_str(&format!(
                "      <property name=\"{}\" value=\"{}\"/>\n",
                xml(k),
                xml(v)
            ));
        }
        out.push_str("    </properties>\n");
    }
    for c in &s.cases {
        let name = if c.name.is_empty() {
            "(empty command)"
        } else {
            &c.name
        };
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
            xml(name),
            xml(&s.step),
            seconds(c.ms)
        ));
        match &c.outcome {
            Outcome::Passed => {}
            Outcome::Failed { exit, timed_out } => {
                let message = if *timed_out {
                    format!("timed out after {} s", seconds(c.ms))
                } else {
                    format!("exit {exit}")
                };
                out.push_str(&format!(
                    "\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml(&message),
                    if *timed_out { "timeout" } else { "exit" },
                    xml(&c.output)
                ));
            }
            Outcome::Skipped(why) => {
                out.push_str(&format!("\n      <skipped message=\"{}\"/>", xml(why)));
            }
        }
        if !c.output.is_empty() && !matches!(c.outcome, Outcome::Failed { .. }) {
            out.push_str(&format!(
                "\n      <system-out>{}</system-out>",
                xml(&c.output)
            ));
        }
        if !matches!(c.outcome, Outcome::Passed) || !c.output.is_empty() {
            out.push_str("\n    ");
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cases_carry_duration_failure_tail_and_skips() {
        let suites = [Suite {
            step: "S04".into(),
            title: "Storage & <co>".into(),
            timestamp: "2026-01-01T12:00:00Z".into(),
            properties: vec![("commit".into(), "abc".into())],
            cases: vec![
                Case::from_check(&json!({"cmd": "true", "exit": 0, "ms": 1234, "out_tail": ""})),
                Case::from_check(
                    &json!({"cmd": "make <x>", "exit": 2, "ms": 5, "out_tail": "boom\u{1b}[0m\n"}),
                ),
                Case::from_check(
                    &json!({"cmd": "sleep 9", "exit": 124, "ms": 2000, "timed_out": true}),
                ),
                Case::skipped("curl x | sh", "not trusted in this clone"),
            ],
        }];
        let x = render(&suites);
        assert!(x.contains("<testsuites name=\"git ledger verify\" tests=\"4\" failures=\"2\" errors=\"0\" time=\"3.239\">"), "{x}");
        assert!(x.contains("name=\"S04 Storage &amp; &lt;co&gt;\""));
        assert!(x.contains("tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\" time=\"3.239\""));
        assert!(x.contains("<testcase name=\"true\" classname=\"S04\" time=\"1.234\"></testcase>"));
        assert!(
            x.contains("<failure message=\"exit 2\" type=\"exit\">boom[0m&#10;</failure>"),
            "{x}"
        );
        assert!(x.contains("<failure message=\"timed out after 2.000 s\" type=\"timeout\">"));
        assert!(x.contains("<skipped message=\"not trusted in this clone\"/>"));
    }
}
