// Drives a running node with ethers v6 the way a wallet or an exchange would. Exits non-zero
// (with the failed check) on any difference from what ethers expects of an Ethereum node.
//
// env: RPC_URL, WS_URL, TOKEN_BIN (creation code of the ERC-20), PRIVATE_KEY (a funded account)
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { ethers } from "ethers";

const { RPC_URL, WS_URL, TOKEN_BIN, PRIVATE_KEY } = process.env;
const abi = [
  "constructor(uint256 supply)",
  "function transfer(address to, uint256 value) returns (bool)",
  "function balanceOf(address) view returns (uint256)",
  "function symbol() view returns (string)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
];

const provider = new ethers.JsonRpcProvider(RPC_URL, undefined, { cacheTimeout: -1, polling: true });
provider.pollingInterval = 100;
const wallet = new ethers.Wallet(PRIVATE_KEY, provider);
const step = (name) => console.log(`ok - ${name}`);

const network = await provider.getNetwork();
const chainId = BigInt(await provider.send("eth_chainId", []));
assert.equal(network.chainId, chainId);
step(`network ${network.chainId}`);

// Deploy an ERC-20 from bytecode and wait for it.
const factory = new ethers.ContractFactory(abi, readFileSync(TOKEN_BIN, "utf8").trim(), wallet);
const token = await factory.deploy(ethers.parseEther("1000000"));
await token.waitForDeployment();
const tokenAddress = await token.getAddress();
assert.equal(await token.symbol(), "BENCH");
step(`deployed ERC-20 at ${tokenAddress}`);

// Transfer and read the receipt and its event.
const to = ethers.hexlify(ethers.randomBytes(20));
const tx = await token.transfer(to, 12345n);
const receipt = await tx.wait();
assert.equal(receipt.status, 1);
assert.equal(receipt.hash, tx.hash);
const parsed = token.interface.parseLog(receipt.logs[0]);
assert.equal(parsed.name, "Transfer");
assert.equal(parsed.args.to.toLowerCase(), to.toLowerCase());
assert.equal(parsed.args.value, 12345n);
assert.equal(await token.balanceOf(to), 12345n);
const fetched = await provider.getTransaction(tx.hash);
assert.equal(fetched.from, wallet.address);
assert.equal(fetched.blockNumber, receipt.blockNumber);
step("ERC-20 transfer, receipt, event, balance");

// Logs by filter: the mint and the transfer from the wallet.
const fromWallet = await token.queryFilter(token.filters.Transfer(wallet.address), 0, "latest");
assert.equal(fromWallet.length, 1);
const all = await provider.getLogs({ address: tokenAddress, fromBlock: 0, toBlock: "latest", topics: [ethers.id("Transfer(address,address,uint256)")] });
assert.equal(all.length, 2);
step("logs by filter");

// Gas estimation.
const estimate = await token.transfer.estimateGas(to, 1n);
assert.ok(estimate > 21000n && estimate < 100000n, `estimate ${estimate}`);
step(`estimateGas ${estimate}`);

// A failing call gives its revert reason.
await assert.rejects(token.transfer.staticCall(to, ethers.parseEther("999999999")), (e) => {
  assert.equal(e.code, "CALL_EXCEPTION");
  assert.equal(e.reason, "insufficient balance");
  return true;
});
await assert.rejects(token.transfer(to, ethers.parseEther("999999999")), (e) => e.code === "CALL_EXCEPTION" && e.reason === "insufficient balance");
step("revert reason");

// EIP-1559 and legacy transactions.
const fee = await provider.getFeeData();
assert.ok(fee.maxFeePerGas > 0n && fee.maxPriorityFeePerGas > 0n && fee.gasPrice > 0n);
const t2 = await wallet.sendTransaction({ to, value: 1n, type: 2 });
const r2 = await t2.wait();
assert.equal(r2.type, 2);
const t0 = await wallet.sendTransaction({ to, value: 2n, type: 0, gasPrice: fee.gasPrice });
const r0 = await t0.wait();
assert.equal(r0.type, 0);
assert.equal(await provider.getBalance(to), 3n);
step("EIP-1559 and legacy transfers");

// A reused nonce is recognised as such.
await assert.rejects(wallet.sendTransaction({ to, value: 1n, nonce: 0 }), (e) => {
  assert.equal(e.code, "NONCE_EXPIRED");
  return true;
});
step("nonce too low is NONCE_EXPIRED");

// newHeads over WebSocket.
const ws = new ethers.WebSocketProvider(WS_URL);
// ethers sends eth_unsubscribe after a `once` listener fires without awaiting it, and destroy()
// rejects whatever is still pending: keep every request's promise and let them settle first,
// so the unsubscribe is answered by the node before the socket closes.
const wsRequests = [];
const wsSend = ws.send.bind(ws);
ws.send = (method, params) => {
  const answer = wsSend(method, params);
  wsRequests.push(answer.then(() => method));
  return answer;
};
const head = new Promise((resolve) => ws.once("block", resolve));
await (await wallet.sendTransaction({ to, value: 1n })).wait();
const seen = await Promise.race([head, new Promise((_, rej) => setTimeout(() => rej(new Error("no newHeads")), 10000))]);
assert.ok(seen > 0);
await new Promise((resolve) => setTimeout(resolve, 0));
const answered = await Promise.all(wsRequests);
assert.ok(answered.includes("eth_unsubscribe"), `requests answered: ${answered}`);
await ws.destroy();
step(`newHeads over WebSocket (block ${seen})`);

// The finalized tag.
const finalized = await provider.getBlock("finalized");
assert.ok(finalized.number >= r0.blockNumber, `finalized ${finalized.number} < ${r0.blockNumber}`);
const safe = await provider.getBlock("safe");
assert.ok(safe.number >= finalized.number);
step(`finalized block ${finalized.number}`);

provider.destroy();
console.log("all ethers checks passed");
