//! Cron schedules, enough to say when one fires next: five fields (Argo) or six with seconds
//! first (KFP), each `*`, `N`, `A-B`, lists and `/STEP`.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};

/// A parsed schedule: the allowed minutes, hours, days of month, months and weekdays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    /// Both day fields restricted: either may match (cron's rule).
    day_or: bool,
}

/// The values a field allows, out of `lo..=hi`; weekdays (`hi` 6) also take 7 for Sunday.
/// The flag says the field is an unrestricted `*`.
fn field(text: &str, lo: u32, hi: u32) -> Result<(Vec<bool>, bool), String> {
    let size = hi + 1;
    let top = if hi == 6 { 7 } else { hi };
    let mut set = vec![false; size as usize];
    let mut star = false;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("bad step in {part:?}"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("step 0 in {part:?}"));
        }
        let value = |v: &str| v.parse::<u32>().map_err(|_| format!("bad value {v:?}"));
        let (a, b) = if range == "*" || range == "?" {
            star = star || step == 1;
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { top } else { v })
        };
        if a < lo || b > top || a > b {
            return Err(format!("{part:?} is outside {lo}-{hi}"));
        }
        for v in (a..=b).step_by(step as usize) {
            set[(v % size) as usize] = true;
        }
    }
    Ok((set, star))
}

impl Cron {
    pub fn parse(spec: &str) -> Result<Cron, String> {
        let mut f: Vec<&str> = spec.split_whitespace().collect();
        if f.len() == 6 {
            f.remove(0); // KFP's seconds
        }
        let [m, h, dom, mon, dow] = f.as_slice() else {
            return Err(format!("{spec:?} needs 5 fields (or 6 with seconds)"));
        };
        let (minutes, _) = field(m, 0, 59)?;
        let (hours, _) = field(h, 0, 23)?;
        let (days, dom_star) = field(dom, 1, 31)?;
        let (months, _) = field(mon, 1, 12)?;
        let (weekdays, dow_star) = field(dow, 0, 6)?;
        Ok(Cron {
            minutes,
            hours,
            days,
            months,
            weekdays,
            day_or: !dom_star && !dow_star,
        })
    }

    fn day_matches(&self, d: DateTime<Utc>) -> bool {
        let dom = self.days[d.day() as usize];
        let dow = self.weekdays[d.weekday().num_days_from_sunday() as usize];
        self.months[d.month() as usize] && if self.day_or { dom || dow } else { dom && dow }
    }

    /// The first time after `after` (UTC) the schedule fires, within about a year.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut day = Utc
            .with_ymd_and_hms(start.year(), start.month(), start.day(), 0, 0, 0)
            .single()?;
        for _ in 0..400 {
            if self.day_matches(day) {
                for h in (0..24u32).filter(|h| self.hours[*h as usize]) {
                    for m in (0..60u32).filter(|m| self.minutes[*m as usize]) {
                        let t = day + Duration::hours(i64::from(h)) + Duration::minutes(i64::from(m));
                        if t >= start {
                            return Some(t);
                        }
                    }
                }
            }
            day += Duration::days(1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn next_times_of_argo_and_kfp_schedules() {
        let nightly = Cron::parse("0 2 * * *").unwrap();
        assert_eq!(
            nightly.next_after(t("2026-11-28T19:30:00Z")),
            Some(t("2026-11-29T02:00:00Z"))
        );
        let kfp = Cron::parse("0 0 3 * * *").unwrap();
        assert_eq!(
            kfp.next_after(t("2026-11-28T02:59:59Z")),
            Some(t("2026-11-28T03:00:00Z"))
        );
        let mondays = Cron::parse("0 0 4 * * 1").unwrap();
        // 2026-11-28 is a Saturday.
        assert_eq!(
            mondays.next_after(t("2026-11-28T10:00:00Z")),
            Some(t("2026-11-30T04:00:00Z"))
        );
        let every15 = Cron::parse("*/15 9-17 * * 1-5").unwrap();
        assert_eq!(
            every15.next_after(t("2026-11-27T17:50:00Z")),
            Some(t("2026-11-30T09:00:00Z"))
        );
        let sunday7 = Cron::parse("30 6 * * 7").unwrap();
        assert_eq!(
            sunday7.next_after(t("2026-11-28T10:00:00Z")),
            Some(t("2026-11-29T06:30:00Z"))
        );
        assert!(Cron::parse("61 * * * *").is_err());
        assert!(Cron::parse("* * *").is_err());
        assert!(Cron::parse("*/0 * * * *").is_err());
    }
}
