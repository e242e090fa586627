//! The one place the engine reads the wall clock (the stages take dates as input).

use kyc_mrz::Date;

/// Today's date in UTC.
pub fn today() -> Date {
    Date::today_utc()
}
