//! `execute-api` ARNs: reading the called route from a `methodArn` / `routeArn`,
//! and the prefix every route of the same API and stage shares. Plain parsing;
//! nothing of the crate is used here.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

/// A parsed `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`.
///
/// It borrows from the ARN text: reading one costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn<'a> {
    /// Everything up to and including `{stage}/`.
    prefix: &'a str,
    method: &'a str,
    /// The path, starting with `/`.
    path: &'a str,
}

impl<'a> MethodArn<'a> {
    /// Parses an ARN as API Gateway sends it.
    ///
    /// Every part up to the stage must be present and plain (ASCII letters,
    /// digits, `-`, `_`): they are copied into the Allow statement, where an
    /// IAM wildcard (`*`, `?`) would grant more than the table says. The one
    /// exception is the stage `$default` of HTTP APIs: a literal stage name,
    /// not a wildcard.
    ///
    /// # Errors
    /// Which part is missing or malformed.
    pub fn parse(arn: &'a str) -> Result<Self, &'static str> {
        let mut fields = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("execute-api"), Some(region), Some(account)) =
            (fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err("not an arn:{partition}:execute-api ARN");
        };
        let resource = fields.next().ok_or("no API/stage/method/path part")?;
        let mut parts = resource.splitn(3, '/');
        let (Some(api), Some(stage), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("the resource part is not {api}/{stage}/{METHOD}/{path}");
        };
        let plain = |part: &str| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let stage_ok = plain(stage) || stage == "$default";
        if !([partition, region, account, api].into_iter().all(plain) && stage_ok) {
            return Err("an ARN part is empty or not plain letters, digits, - and _");
        }
        let (method, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("the method is not an upper-case HTTP method");
        }
        // `rest` ends the ARN, so the prefix is all that comes before it.
        let prefix = &arn[..arn.len() - rest.len()];
        Ok(Self { prefix, method, path })
    }

    /// The called method, upper case.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The called path, starting with `/` (the stage is not part of it).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/`: every route's ARN starts so.
    pub fn prefix(&self) -> &'a str {
        self.prefix
    }

    /// The ARN of the called route itself.
    pub fn called(&self) -> String {
        format!("{}{}{}", self.prefix, self.method, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs";

    #[test]
    fn reads_the_called_route_and_writes_siblings() -> Result<(), String> {
        let arn = MethodArn::parse(ARN)?;
        assert_eq!((arn.method(), arn.path()), ("GET", "/dogs"));
        assert_eq!(arn.called(), ARN);
        assert_eq!(arn.prefix(), "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/");
        Ok(())
    }

    #[test]
    fn root_paths_and_other_partitions() -> Result<(), &'static str> {
        let root = MethodArn::parse("arn:aws-cn:execute-api:cn-north-1:1:api/v1/POST/")?;
        assert_eq!(root.path(), "/");
        assert_eq!(root.called(), "arn:aws-cn:execute-api:cn-north-1:1:api/v1/POST/");
        let bare = MethodArn::parse("arn:aws:execute-api:r:1:api/v1/GET")?;
        assert_eq!(bare.path(), "/");
        let deep = MethodArn::parse("arn:aws:execute-api:r:1:api/v1/GET/a/b:c/d")?;
        assert_eq!(deep.path(), "/a/b:c/d");
        Ok(())
    }

    #[test]
    fn the_default_stage_of_http_apis_is_a_stage() -> Result<(), String> {
        let arn = MethodArn::parse(
            "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/GET/dogs",
        )?;
        assert_eq!((arn.method(), arn.path()), ("GET", "/dogs"));
        assert_eq!(arn.prefix(), "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/");
        for bad in [
            "arn:aws:execute-api:us-east-1:1:api/$prod/GET/dogs",
            "arn:aws:execute-api:us-east-1:1:api/$default*/GET/dogs",
            "arn:aws:execute-api:us-east-1:1:$default/prod/GET/dogs",
            "arn:aws:execute-api:us-east-1:1:api/$DEFAULT/GET/dogs",
        ] {
            assert!(MethodArn::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn malformed_arns_are_errors() {
        for bad in [
            "",
            "*",
            "arn:aws:execute-api",
            "arn:aws:lambda:us-east-1:1:function/x",
            "arn:aws:execute-api:us-east-1:1",
            "arn:aws:execute-api:us-east-1:1:api",
            "arn:aws:execute-api:us-east-1:1:api/prod",
            "arn:aws:execute-api:us-east-1:1:api/*/GET/dogs",
            "arn:aws:execute-api:*:1:api/prod/GET/dogs",
            "arn:aws:execute-api:us-east-1::api/prod/GET/dogs",
            "arn:aws:execute-api:us-east-1:1:/prod/GET/dogs",
            "arn:aws:execute-api:us-east-1:1:api/prod/*/dogs",
            "arn:aws:execute-api:us-east-1:1:api/prod/get/dogs",
            "arn:aws:execute-api:us-east-1:1:api/prod//dogs",
            "arn:aws:execute-api:us-east-1:1:a?i/prod/GET/dogs",
        ] {
            let got = MethodArn::parse(bad);
            assert!(got.is_err(), "{bad} parsed as {got:?}");
        }
        // Multi-byte text in the path is carried, not sliced: no panic on a char boundary.
        let odd = MethodArn::parse("arn:aws:execute-api:r:1:api/prod/GET/\u{1f436}");
        assert_eq!(odd.map(|a| a.path().to_owned()), Ok("/\u{1f436}".to_owned()));
        assert!(MethodArn::parse("arn:aws:execute-api:r:1:api/pr\u{f6}d/GET/x").is_err());
    }
}
