// hardhat's node as an independent Ethereum implementation for tests and benchmarks.
// Prague, like the SEC domains; per-request logging off (it triples the cost of each request).
module.exports = { networks: { hardhat: { chainId: 31337, hardfork: "prague", loggingEnabled: false } } };
