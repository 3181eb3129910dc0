//! How durations, tariffs, layouts, boards and gate answers are written in failure messages.

use super::*;

/// A duration as `1d02h03m04s+5ns` (days only when there are some, nanoseconds likewise).
///
/// ```
/// use lld_katas::parking::{conformance::dur, DAY, HOUR};
/// use std::time::Duration;
/// assert_eq!(dur(2 * HOUR + Duration::from_nanos(1)), "2h00m00s+1ns");
/// assert_eq!(dur(DAY + 3 * HOUR), "1d03h00m00s");
/// ```
pub fn dur(d: Duration) -> String {
    let secs = d.as_secs();
    let mut out = String::new();
    if secs >= 86_400 {
        let _ = write!(out, "{}d", secs / 86_400);
    }
    let rest = secs % 86_400;
    let width = if secs >= 86_400 { 2 } else { 1 };
    let _ = write!(
        out,
        "{:0width$}h{:02}m{:02}s",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    );
    if d.subsec_nanos() > 0 {
        let _ = write!(out, "+{}ns", d.subsec_nanos());
    }
    out
}

/// A pricing in words.
pub fn describe_pricing(p: &Pricing) -> String {
    match p {
        Pricing::Free => "free".into(),
        Pricing::Hourly { per_hour } => format!("{per_hour} per started hour"),
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } => {
            let tiers: Vec<String> = tiers
                .iter()
                .map(|t| format!("{} h at {}", t.hours, t.per_hour))
                .collect();
            format!(
                "tiers [{}] then {then_per_hour} per started hour",
                tiers.join(", ")
            )
        }
        Pricing::Grace { grace, then } => {
            format!(
                "free up to {}, else ({})",
                dur(*grace),
                describe_pricing(then)
            )
        }
        Pricing::DailyMax { max, within } => {
            format!(
                "({}) capped at {max} per 24 h day",
                describe_pricing(within)
            )
        }
        Pricing::PerVehicle {
            motorcycle,
            car,
            van,
        } => format!(
            "motorcycle: ({}); car: ({}); van: ({})",
            describe_pricing(motorcycle),
            describe_pricing(car),
            describe_pricing(van)
        ),
    }
}

pub(super) fn describe_tariff(t: &Tariff) -> String {
    let charging = if t.charging == Charging::FREE {
        String::new()
    } else {
        format!(
            "; charging {} per started hour, session {}",
            t.charging.per_hour,
            dur(t.charging.session)
        )
    };
    format!(
        "tariff {}; lost ticket {}{charging}",
        describe_pricing(&t.pricing),
        t.lost_ticket
    )
}

pub(super) fn describe_layout(levels: &[LevelSpots]) -> String {
    let levels: Vec<String> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "level {i}: {} motorcycle, {} compact, {} large, {} electric",
                l.motorcycle, l.compact, l.large, l.electric
            )
        })
        .collect();
    levels.join("; ")
}

pub(super) fn describe_config(c: &LotConfig) -> String {
    format!(
        "{}; {}",
        describe_layout(&c.levels),
        describe_tariff(&c.tariff)
    )
}

pub(super) fn describe_board(b: &Board) -> String {
    let levels: Vec<String> = b
        .free
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "L{i} {}/{}/{}/{}",
                l.motorcycle, l.compact, l.large, l.electric
            )
        })
        .collect();
    format!(
        "free (motorcycle/compact/large/electric) {}",
        levels.join(", ")
    )
}

/// A gate's answer at the entry, in words.
pub fn entered(r: &Result<Ticket, EnterError>) -> String {
    match r {
        Ok(t) => format!("ticket #{} for {} at {}", t.id.0, t.spot, dur(t.entered_at)),
        Err(e) => format!("Err({e:?})"),
    }
}

/// A gate's answer at the exit, in words.
pub fn exited(r: &Result<Receipt, ExitError>) -> String {
    match r {
        Ok(r) => format!(
            "receipt for ticket #{}: {} freed, stay {}, fee {}",
            r.ticket.0,
            r.spot,
            dur(r.stay),
            r.fee
        ),
        Err(e) => format!("Err({e:?})"),
    }
}
