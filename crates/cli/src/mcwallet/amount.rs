//! Amounts as people write them: whole-token decimals with the token's number of decimals
//! (`1.5`, `0.000000000400`), or raw base units with the `base` suffix (`400base`). Never
//! floats: parsing is exact integer arithmetic and refuses more decimals than the token has.
//!
//! Decimals per token (this network's convention, shown by `mcwallet balance`): token 0 has
//! 12 (one token is 10^12 base units), token 1 has 6; other tokens have 0 (base units).

use mcnode_tx::TokenId;

/// Suffix that marks raw base units.
pub const BASE_SUFFIX: &str = "base";

/// Decimals of `token`.
pub fn decimals(token: TokenId) -> u32 {
    match token.0 {
        0 => 12,
        1 => 6,
        _ => 0,
    }
}

/// Why an amount does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not digits with at most one point (or digits then `base`).
    #[error("amount {text:?} is not a decimal number (examples: 1.5, 0.25, 400base)")]
    Syntax {
        /// The text.
        text: String,
    },
    /// More decimals than the token has.
    #[error("amount {text:?} has more than the {decimals} decimals of token {token}")]
    TooPrecise {
        /// The text.
        text: String,
        /// The token's decimals.
        decimals: u32,
        /// The token.
        token: u64,
    },
    /// Above what a transaction output can hold.
    #[error("amount {text:?} is too large")]
    TooLarge {
        /// The text.
        text: String,
    },
    /// Zero.
    #[error("amount must be above zero")]
    Zero,
}

/// Parses `text` as an amount of `token`, in base units.
pub fn parse(text: &str, token: TokenId) -> Result<u64, AmountError> {
    let t = text.trim();
    let syntax = || AmountError::Syntax { text: text.to_owned() };
    let large = || AmountError::TooLarge { text: text.to_owned() };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let value = if let Some(raw) = t.strip_suffix(BASE_SUFFIX) {
        if !digits(raw) {
            return Err(syntax());
        }
        raw.parse::<u64>().map_err(|_| large())?
    } else {
        let d = decimals(token);
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if !digits(whole) || (!frac.is_empty() && !digits(frac)) || t.ends_with('.') {
            return Err(syntax());
        }
        if frac.len() > d as usize {
            return Err(AmountError::TooPrecise {
                text: text.to_owned(),
                decimals: d,
                token: token.0,
            });
        }
        let scale = 10u64.checked_pow(d).ok_or_else(large)?;
        let w = whole.parse::<u64>().map_err(|_| large())?;
        let f = if frac.is_empty() {
            0
        } else {
            let pad = 10u64.pow(d - frac.len() as u32);
            frac.parse::<u64>().map_err(|_| large())? * pad
        };
        w.checked_mul(scale).and_then(|v| v.checked_add(f)).ok_or_else(large)?
    };
    if value == 0 {
        return Err(AmountError::Zero);
    }
    Ok(value)
}

/// `value` base units of `token` as a decimal (trailing zeros of the fraction dropped).
pub fn format(value: u128, token: TokenId) -> String {
    let d = decimals(token);
    if d == 0 {
        return value.to_string();
    }
    let scale = 10u128.pow(d);
    let (w, f) = (value / scale, value % scale);
    if f == 0 {
        return w.to_string();
    }
    let frac = format!("{f:0width$}", width = d as usize);
    format!("{w}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: TokenId = TokenId(0);
    const T1: TokenId = TokenId(1);

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse("1.5", T0), Ok(1_500_000_000_000));
        assert_eq!(parse("0.000000000400", T0), Ok(400));
        assert_eq!(parse("2", T1), Ok(2_000_000));
        assert_eq!(parse("400base", T0), Ok(400));
        assert_eq!(format(1_500_000_000_000, T0), "1.5");
        assert_eq!(format(400, T0), "0.0000000004");
        assert_eq!(format(2_000_000, T1), "2");
    }

    #[test]
    fn ambiguous_or_impossible_amounts_are_refused() {
        assert!(matches!(parse("1.0000001", T1), Err(AmountError::TooPrecise { decimals: 6, .. })));
        assert!(matches!(parse("1e3", T0), Err(AmountError::Syntax { .. })));
        assert!(matches!(parse("-1", T0), Err(AmountError::Syntax { .. })));
        assert!(matches!(parse("1.", T0), Err(AmountError::Syntax { .. })));
        assert!(matches!(parse(".5", T0), Err(AmountError::Syntax { .. })));
        assert!(matches!(parse("1,5", T0), Err(AmountError::Syntax { .. })));
        assert!(matches!(parse("20000000", T0), Err(AmountError::TooLarge { .. })));
        assert_eq!(parse("0", T0), Err(AmountError::Zero));
    }
}
