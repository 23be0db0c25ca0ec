//! Closed sets of string values (enums and literals of the contract) and their wire spelling.

/// Declares a fieldless enum whose variants are spelled on the wire as the given strings:
/// `ALL`, `as_str`, `parse` and a `Serialize` impl writing the string.
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            /// Every value's wire spelling, in the contract's order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value as spelled on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value spelled `text` on the wire, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

pub(crate) use choice_enum;

/// Pydantic's spelling of the allowed values in an enum/literal error: `'a', 'b' or 'c'`.
pub fn expected_values<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values
        .into_iter()
        .map(|value| format!("'{value}'"))
        .collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Python's `repr` of a list of strings: `['a', 'b']`.
pub fn python_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values
        .into_iter()
        .map(|value| format!("'{value}'"))
        .collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_reads_like_pydantic() {
        assert_eq!(expected_values(["a"]), "'a'");
        assert_eq!(expected_values(["a", "b", "c"]), "'a', 'b' or 'c'");
        assert_eq!(python_list(["1m", "5m"]), "['1m', '5m']");
    }
}
