//! Writes a synthetic almost-symmetric network (see `mcnode_fbas::synthetic`) as stellarbeat
//! JSON: `cargo run -p mcnode-fbas --example almost_symmetric -- ORGS [DELETE_PROB [SEED]]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let orgs = args.first().and_then(|s| s.parse::<usize>().ok());
    let prob = args.get(1).map_or(Some(0.0), |s| s.parse::<f64>().ok());
    let seed = args.get(2).map_or(Some(1), |s| s.parse::<u64>().ok());
    let (Some(orgs), Some(prob), Some(seed)) = (orgs, prob, seed) else {
        eprintln!("usage: almost_symmetric ORGS [DELETE_PROB [SEED]]");
        return ExitCode::from(2);
    };
    match mcnode_fbas::Fbas::from_raw(mcnode_fbas::synthetic::almost_symmetric(orgs, prob, seed)) {
        Ok(f) => {
            println!("{}", mcnode_fbas::input::to_stellarbeat(&f));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
