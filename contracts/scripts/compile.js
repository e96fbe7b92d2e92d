#!/usr/bin/env node
// Compiles every Solidity source under contracts/src (recursively) with the pinned npm `solc`
// through the standard-JSON interface and writes one artifact per deployable contract to
// contracts/out/<relative dir>/<Name>.json (ABI, bytecode, deployed bytecode, storage layout).
//
// Artifacts are committed so that building the Rust crate needs no Node. Output is
// deterministic: sorted keys, two-space indentation, trailing newline, sources sorted by path.
//
//   node scripts/compile.js           write contracts/out
//   node scripts/compile.js --check   exit 1 if contracts/out differs from a fresh compile

'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'out');
const NODE_MODULES = path.join(ROOT, 'node_modules');

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'prague',
  viaIR: false,
  metadata: { bytecodeHash: 'ipfs' },
  outputSelection: {
    '*': {
      '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'storageLayout'],
    },
  },
};

function listSources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(full));
    else if (entry.name.endsWith('.sol')) found.push(full);
  }
  return found.sort();
}

function findImport(importPath) {
  const candidates = [path.join(NODE_MODULES, importPath), path.join(ROOT, importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `import not found: ${importPath}` };
}

/// Recursively sorts object keys so JSON.stringify is stable.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function compile() {
  const sources = {};
  for (const file of listSources(SRC)) {
    const unit = path.relative(ROOT, file).split(path.sep).join('/');
    sources[unit] = { content: fs.readFileSync(file, 'utf8') };
  }
  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) {
    if (e.severity === 'error' || !String(e.sourceLocation?.file || '').startsWith('@')) {
      process.stderr.write(e.formattedMessage + '\n');
    }
  }
  if (errors.length > 0) throw new Error(`solc reported ${errors.length} error(s)`);

  const artifacts = new Map();
  for (const unit of Object.keys(sources)) {
    const contracts = output.contracts[unit] || {};
    const relDir = path.dirname(path.relative('src', unit));
    for (const name of Object.keys(contracts).sort()) {
      const c = contracts[name];
      const bytecode = c.evm.bytecode.object;
      if (!bytecode) continue; // interfaces and abstract contracts
      const artifact = sortKeys({
        contractName: name,
        sourceName: unit,
        compiler: { version: solc.version(), settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion } },
        abi: c.abi,
        bytecode: '0x' + bytecode,
        deployedBytecode: '0x' + c.evm.deployedBytecode.object,
        storageLayout: c.storageLayout,
      });
      const rel = relDir === '.' ? `${name}.json` : `${relDir}/${name}.json`;
      if (artifacts.has(rel)) throw new Error(`two contracts named ${name} in ${relDir}`);
      artifacts.set(rel, JSON.stringify(artifact, null, 2) + '\n');
    }
  }
  return artifacts;
}

function listArtifacts(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listArtifacts(full, base));
    else if (entry.name.endsWith('.json')) found.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return found.sort();
}

function main() {
  const check = process.argv.includes('--check');
  const artifacts = compile();
  if (check) {
    const problems = [];
    for (const [rel, text] of artifacts) {
      const file = path.join(OUT, rel);
      if (!fs.existsSync(file)) problems.push(`missing: out/${rel}`);
      else if (fs.readFileSync(file, 'utf8') !== text) problems.push(`differs: out/${rel}`);
    }
    for (const rel of listArtifacts(OUT)) {
      if (!artifacts.has(rel)) problems.push(`stale: out/${rel}`);
    }
    if (problems.length > 0) {
      process.stderr.write(problems.join('\n') + '\nrun `node contracts/scripts/compile.js` and commit contracts/out\n');
      process.exit(1);
    }
    process.stdout.write(`ok: ${artifacts.size} artifacts match solc ${solc.version()}\n`);
    return;
  }
  for (const rel of listArtifacts(OUT)) {
    if (!artifacts.has(rel)) fs.unlinkSync(path.join(OUT, rel));
  }
  for (const [rel, text] of artifacts) {
    const file = path.join(OUT, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  process.stdout.write(`wrote ${artifacts.size} artifacts to contracts/out (solc ${solc.version()})\n`);
}

main();
