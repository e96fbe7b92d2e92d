//! The committed compiler artifacts and the project's Solidity sources as text, for whoever
//! shows the contracts' source and ABI (the explorer records the system contracts as verified
//! from these without running a compiler).

/// A contract's artifact (`contracts/out/<name>.json`: ABI, bytecode, deployed bytecode,
/// compiler version and settings), by contract name; test contracts are left out.
pub fn artifact(name: &str) -> Option<&'static str> {
    ARTIFACTS.iter().find(|(n, _)| *n == name).map(|(_, json)| *json)
}

/// Every deployable contract's artifact, by name.
pub const ARTIFACTS: &[(&str, &str)] = &[
    ("SECToken", include_str!("../out/SECToken.json")),
    ("VestingVault", include_str!("../out/VestingVault.json")),
    ("Presale", include_str!("../out/Presale.json")),
    ("TimelockedReserve", include_str!("../out/TimelockedReserve.json")),
    ("MerchantIssuance", include_str!("../out/MerchantIssuance.json")),
    ("StakeManager", include_str!("../out/StakeManager.json")),
    ("CheckpointManager", include_str!("../out/CheckpointManager.json")),
    ("L1Bridge", include_str!("../out/L1Bridge.json")),
    ("CrossDomain", include_str!("../out/CrossDomain.json")),
    ("L2Bridge", include_str!("../out/L2Bridge.json")),
    ("L2TokenFactory", include_str!("../out/L2TokenFactory.json")),
    ("BridgedERC20", include_str!("../out/BridgedERC20.json")),
    ("TrustIndex", include_str!("../out/TrustIndex.json")),
    ("TradeEscrow", include_str!("../out/TradeEscrow.json")),
    ("Disputes", include_str!("../out/Disputes.json")),
    ("HomeDirectory", include_str!("../out/HomeDirectory.json")),
    ("Messages", include_str!("../out/Messages.json")),
];

/// The project's Solidity sources (`contracts/src`, test contracts left out), by the unit name
/// the compiler saw (`src/<file>`). OpenZeppelin's files are not here: they come from the npm
/// package pinned in `contracts/package-lock.json`.
pub const SOURCES: &[(&str, &str)] = &[
    ("src/BridgedERC20.sol", include_str!("../src/BridgedERC20.sol")),
    ("src/CheckpointManager.sol", include_str!("../src/CheckpointManager.sol")),
    ("src/CrossDomain.sol", include_str!("../src/CrossDomain.sol")),
    ("src/Disputes.sol", include_str!("../src/Disputes.sol")),
    ("src/HomeDirectory.sol", include_str!("../src/HomeDirectory.sol")),
    ("src/IAllocation.sol", include_str!("../src/IAllocation.sol")),
    ("src/L1Bridge.sol", include_str!("../src/L1Bridge.sol")),
    ("src/L2Bridge.sol", include_str!("../src/L2Bridge.sol")),
    ("src/L2TokenFactory.sol", include_str!("../src/L2TokenFactory.sol")),
    ("src/MerchantIssuance.sol", include_str!("../src/MerchantIssuance.sol")),
    ("src/Messages.sol", include_str!("../src/Messages.sol")),
    ("src/Presale.sol", include_str!("../src/Presale.sol")),
    ("src/SECToken.sol", include_str!("../src/SECToken.sol")),
    ("src/StakeManager.sol", include_str!("../src/StakeManager.sol")),
    ("src/SystemCall.sol", include_str!("../src/SystemCall.sol")),
    ("src/TimelockedReserve.sol", include_str!("../src/TimelockedReserve.sol")),
    ("src/TradeEscrow.sol", include_str!("../src/TradeEscrow.sol")),
    ("src/TrustIndex.sol", include_str!("../src/TrustIndex.sol")),
    ("src/VestingVault.sol", include_str!("../src/VestingVault.sol")),
];

/// The source `unit` and every project source it imports, directly or not (imports of npm
/// packages are left out: see [`SOURCES`]), sorted by unit name.
pub fn sources_of(unit: &str) -> Vec<(&'static str, &'static str)> {
    let mut found: Vec<(&'static str, &'static str)> = Vec::new();
    let mut todo = vec![unit.to_string()];
    while let Some(next) = todo.pop() {
        let Some(&(name, text)) = SOURCES.iter().find(|(n, _)| *n == next) else { continue };
        if found.iter().any(|(n, _)| *n == name) {
            continue;
        }
        found.push((name, text));
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
        for line in text.lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("import") else { continue };
            let Some(path) = rest.split('"').nth(1) else { continue };
            if let Some(local) = path.strip_prefix("./") {
                todo.push(format!("{dir}/{local}"));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_and_artifact_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources: Vec<String> = std::fs::read_dir(dir.join("src"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sol"))
            .map(|n| format!("src/{n}"))
            .collect();
        sources.sort();
        assert_eq!(sources, SOURCES.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>());
        let mut artifacts: Vec<String> = std::fs::read_dir(dir.join("out"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(String::from))
            .collect();
        artifacts.sort();
        let mut listed: Vec<String> = ARTIFACTS.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(artifacts, listed);
    }

    #[test]
    fn local_imports_are_followed() {
        let units: Vec<&str> = sources_of("src/L2Bridge.sol").iter().map(|(n, _)| *n).collect();
        assert_eq!(units, ["src/L2Bridge.sol", "src/Messages.sol", "src/SystemCall.sol"]);
    }
}
