//! An in-memory Merkle-Patricia trie with cached node hashes.
//!
//! Every node remembers its RLP reference (inline encoding or hash) until something below it
//! changes, so recomputing the root after a block touches only the paths of the keys that block
//! wrote: the cost is proportional to the block's writes, not to the size of the state. Keys are
//! always 32-byte hashes (secure trie), so branch nodes never carry values.
//!
//! The same tree serves `eth_getProof`: [`Trie::proof`] returns the RLP of every node on a key's
//! path, which any client verifies against the root.
//!
//! Nodes are shared (`Arc`) and copied on write: a clone of a trie is a snapshot that costs one
//! reference count, and later writes copy only the nodes on their paths. That is how a domain
//! keeps the tries of its recent blocks for `eth_getProof` at those blocks.
//!
//! The same sharing tells what changed: [`Trie::changed_branches`] walks a trie against an
//! older snapshot of it and skips every subtree the two still share, so the branch hashes a
//! domain stores (see `trie_store`) are written in proportion to the writes since the last
//! store. [`Trie::from_sorted`] builds a trie from its leaves in key order and takes the hash of
//! every branch it is given instead of computing it: that is how a restart avoids rehashing
//! the whole state.

use std::sync::Arc;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{BufMut, Encodable, Header};
use alloy_trie::{EMPTY_ROOT_HASH, nodes::RlpNode};

/// One nibble (0..16) per byte.
type Path = Vec<u8>;

#[derive(Debug, Default, Clone)]
enum Node {
    #[default]
    Empty,
    Leaf(Arc<Leaf>),
    Extension(Arc<Extension>),
    Branch(Arc<Branch>),
}

#[derive(Debug, Clone)]
struct Leaf {
    path: Path,
    value: Vec<u8>,
    cache: Option<RlpNode>,
}

#[derive(Debug, Clone)]
struct Extension {
    path: Path,
    child: Node,
    cache: Option<RlpNode>,
}

#[derive(Debug, Clone, Default)]
struct Branch {
    children: [Node; 16],
    cache: Option<RlpNode>,
}

/// A secure Merkle-Patricia trie keyed by 32-byte hashes.
#[derive(Debug, Default, Clone)]
pub struct Trie {
    root: Node,
    len: usize,
}

fn unpack(key: &B256) -> Path {
    let mut out = Vec::with_capacity(64);
    for b in key.iter() {
        out.push(b >> 4);
        out.push(b & 0x0f);
    }
    out
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn leaf(path: &[u8], value: Vec<u8>) -> Node {
    Node::Leaf(Arc::new(Leaf { path: path.to_vec(), value, cache: None }))
}

fn extension(path: Path, child: Node) -> Node {
    Node::Extension(Arc::new(Extension { path, child, cache: None }))
}

/// Hex-prefix encoding of a nibble path (Ethereum yellow paper, appendix C).
fn hex_prefix(path: &[u8], is_leaf: bool) -> Vec<u8> {
    let flag = if is_leaf { 2 } else { 0 };
    let mut out = Vec::with_capacity(path.len() / 2 + 1);
    let rest = if path.len() % 2 == 1 {
        out.push(((flag + 1) << 4) | path[0]);
        &path[1..]
    } else {
        out.push(flag << 4);
        path
    };
    for pair in rest.chunks(2) {
        out.push((pair[0] << 4) | pair[1]);
    }
    out
}

fn encode_leaf(path: &[u8], value: &[u8], out: &mut Vec<u8>) {
    let hp = hex_prefix(path, true);
    let payload = hp.as_slice().length() + value.length();
    Header { list: true, payload_length: payload }.encode(out);
    hp.as_slice().encode(out);
    value.encode(out);
}

fn encode_extension(path: &[u8], child: &RlpNode, out: &mut Vec<u8>) {
    let hp = hex_prefix(path, false);
    let payload = hp.as_slice().length() + child.len();
    Header { list: true, payload_length: payload }.encode(out);
    hp.as_slice().encode(out);
    out.put_slice(child);
}

fn encode_branch(children: &[Option<RlpNode>; 16], out: &mut Vec<u8>) {
    // An empty child and the (always empty) value are both the empty string 0x80.
    let payload: usize =
        children.iter().map(|c| c.as_ref().map_or(1, |c| c.len())).sum::<usize>() + 1;
    Header { list: true, payload_length: payload }.encode(out);
    for c in children {
        match c {
            Some(c) => out.put_slice(c),
            None => out.put_u8(alloy_rlp::EMPTY_STRING_CODE),
        }
    }
    out.put_u8(alloy_rlp::EMPTY_STRING_CODE);
}

impl Node {
    fn is_empty(&self) -> bool {
        matches!(self, Node::Empty)
    }

    fn insert(self, path: &[u8], value: Vec<u8>) -> (Node, bool) {
        match self {
            Node::Empty => (leaf(path, value), true),
            Node::Leaf(mut l) => {
                if l.path == path {
                    let m = Arc::make_mut(&mut l);
                    m.value = value;
                    m.cache = None;
                    return (Node::Leaf(l), false);
                }
                let c = common_prefix(&l.path, path);
                let mut branch = Branch::default();
                let old = Arc::unwrap_or_clone(l);
                branch.children[old.path[c] as usize] = leaf(&old.path[c + 1..], old.value);
                branch.children[path[c] as usize] = leaf(&path[c + 1..], value);
                let node = Node::Branch(Arc::new(branch));
                (if c > 0 { extension(path[..c].to_vec(), node) } else { node }, true)
            }
            Node::Extension(mut e) => {
                let c = common_prefix(&e.path, path);
                if c == e.path.len() {
                    let m = Arc::make_mut(&mut e);
                    let (child, added) = std::mem::take(&mut m.child).insert(&path[c..], value);
                    m.child = child;
                    m.cache = None;
                    return (Node::Extension(e), added);
                }
                let mut branch = Branch::default();
                let old = Arc::unwrap_or_clone(e);
                branch.children[old.path[c] as usize] = if c + 1 == old.path.len() {
                    old.child
                } else {
                    extension(old.path[c + 1..].to_vec(), old.child)
                };
                branch.children[path[c] as usize] = leaf(&path[c + 1..], value);
                let node = Node::Branch(Arc::new(branch));
                (if c > 0 { extension(path[..c].to_vec(), node) } else { node }, true)
            }
            Node::Branch(mut b) => {
                let i = path[0] as usize;
                let m = Arc::make_mut(&mut b);
                let (child, added) = std::mem::take(&mut m.children[i]).insert(&path[1..], value);
                m.children[i] = child;
                m.cache = None;
                (Node::Branch(b), added)
            }
        }
    }

    /// Removes `path`; returns the new node and whether the key existed.
    fn remove(self, path: &[u8]) -> (Node, bool) {
        match self {
            Node::Empty => (Node::Empty, false),
            Node::Leaf(l) => {
                if l.path == path {
                    (Node::Empty, true)
                } else {
                    (Node::Leaf(l), false)
                }
            }
            Node::Extension(e) => {
                // not on the path: untouched (and not copied if shared)
                if !path.starts_with(&e.path) || !e.child.contains(&path[e.path.len()..]) {
                    return (Node::Extension(e), false);
                }
                let old = Arc::unwrap_or_clone(e);
                let (child, _) = old.child.remove(&path[old.path.len()..]);
                (prepend(old.path, child), true)
            }
            Node::Branch(mut b) => {
                let i = path[0] as usize;
                if !b.children[i].contains(&path[1..]) {
                    return (Node::Branch(b), false);
                }
                let m = Arc::make_mut(&mut b);
                let (child, _) = std::mem::take(&mut m.children[i]).remove(&path[1..]);
                m.children[i] = child;
                m.cache = None;
                let mut remaining = m.children.iter().enumerate().filter(|(_, c)| !c.is_empty());
                let first = remaining.next().map(|(i, _)| i);
                let more = remaining.next().is_some();
                match (first, more) {
                    (None, _) => (Node::Empty, true),
                    (Some(only), false) => {
                        let child = std::mem::take(&mut m.children[only]);
                        (prepend(vec![only as u8], child), true)
                    }
                    _ => (Node::Branch(b), true),
                }
            }
        }
    }

    fn contains(&self, path: &[u8]) -> bool {
        self.get(path).is_some()
    }

    fn get(&self, path: &[u8]) -> Option<&[u8]> {
        match self {
            Node::Empty => None,
            Node::Leaf(l) => (l.path == path).then_some(l.value.as_slice()),
            Node::Extension(e) => {
                path.strip_prefix(e.path.as_slice()).and_then(|rest| e.child.get(rest))
            }
            Node::Branch(b) => b.children[path[0] as usize].get(&path[1..]),
        }
    }

    /// The node's reference in its parent, computing (and caching) what changed below it.
    fn commit(&mut self, depth: usize) -> Option<RlpNode> {
        let mut buf = Vec::new();
        match self {
            Node::Empty => None,
            // a node with its reference cached is never written (so never copied if shared)
            Node::Leaf(l) => {
                if l.cache.is_none() {
                    let l = Arc::make_mut(l);
                    encode_leaf(&l.path, &l.value, &mut buf);
                    l.cache = Some(RlpNode::from_rlp(&buf));
                }
                l.cache.clone()
            }
            Node::Extension(e) => {
                if e.cache.is_none() {
                    let e = Arc::make_mut(e);
                    let child = e.child.commit(depth + e.path.len())?;
                    encode_extension(&e.path, &child, &mut buf);
                    e.cache = Some(RlpNode::from_rlp(&buf));
                }
                e.cache.clone()
            }
            Node::Branch(b) => {
                if b.cache.is_none() {
                    let b = Arc::make_mut(b);
                    let refs = commit_children(&mut b.children, depth);
                    encode_branch(&refs, &mut buf);
                    b.cache = Some(RlpNode::from_rlp(&buf));
                }
                b.cache.clone()
            }
        }
    }

    /// The node's full RLP encoding.
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Node::Empty => out.put_u8(alloy_rlp::EMPTY_STRING_CODE),
            Node::Leaf(l) => encode_leaf(&l.path, &l.value, out),
            Node::Extension(e) => {
                let child = e.child.reference().unwrap_or_default();
                encode_extension(&e.path, &child, out)
            }
            Node::Branch(b) => {
                let refs: [Option<RlpNode>; 16] =
                    std::array::from_fn(|i| b.children[i].reference());
                encode_branch(&refs, out)
            }
        }
    }

    /// The node's reference: the cached one, or computed without caching. A trie built with
    /// known branch hashes leaves the leaves below them unhashed until something changes
    /// there, so a proof through such a branch computes its children's references here.
    fn reference(&self) -> Option<RlpNode> {
        if let Some(cached) = self.cached() {
            return Some(cached);
        }
        if self.is_empty() {
            return None;
        }
        let mut buf = Vec::new();
        self.encode(&mut buf);
        Some(RlpNode::from_rlp(&buf))
    }

    fn cached(&self) -> Option<RlpNode> {
        match self {
            Node::Empty => None,
            Node::Leaf(l) => l.cache.clone(),
            Node::Extension(e) => e.cache.clone(),
            Node::Branch(b) => b.cache.clone(),
        }
    }
}

/// Children of a branch near the root are hashed in parallel: below depth 2 a block's writes
/// rarely share subtrees, so the work splits evenly.
fn commit_children(children: &mut [Node; 16], depth: usize) -> [Option<RlpNode>; 16] {
    let dirty = children.iter().filter(|c| !c.is_empty() && c.cached().is_none()).count();
    if depth < 2 && dirty > 1 {
        use rayon::prelude::*;
        let refs: Vec<Option<RlpNode>> =
            children.par_iter_mut().map(|c| c.commit(depth + 1)).collect();
        std::array::from_fn(|i| refs[i].clone())
    } else {
        std::array::from_fn(|i| children[i].commit(depth + 1))
    }
}

/// The nibble of `key` at `depth`.
pub(crate) fn nibble(key: &B256, depth: usize) -> u8 {
    let b = key[depth / 2];
    if depth.is_multiple_of(2) { b >> 4 } else { b & 0x0f }
}

/// Builds the subtree of `leaves` (sorted, unique, non-empty values) below `depth`; `prefix` is
/// the path to it.
fn build(
    leaves: &mut [(B256, Vec<u8>)],
    depth: usize,
    known: &(dyn Fn(&[u8]) -> Option<RlpNode> + Sync),
) -> Node {
    match leaves {
        [] => Node::Empty,
        [(key, value)] => leaf(&unpack(key)[depth..], std::mem::take(value)),
        [first, .., last] => {
            let mut end = depth;
            while nibble(&first.0, end) == nibble(&last.0, end) {
                end += 1;
            }
            let branch = build_branch(leaves, end, known);
            if end > depth {
                extension(unpack(&leaves[0].0)[depth..end].to_vec(), branch)
            } else {
                branch
            }
        }
    }
}

/// The branch at `depth` over `leaves` (at least two, differing at `depth`), its hash taken from
/// `known` when given.
fn build_branch(
    leaves: &mut [(B256, Vec<u8>)],
    depth: usize,
    known: &(dyn Fn(&[u8]) -> Option<RlpNode> + Sync),
) -> Node {
    let cache = known(&unpack(&leaves[0].0)[..depth]);
    let mut groups: Vec<&mut [(B256, Vec<u8>)]> = Vec::with_capacity(16);
    let mut rest = leaves;
    for n in 0..16u8 {
        let len = rest.iter().take_while(|(k, _)| nibble(k, depth) == n).count();
        let (group, tail) = rest.split_at_mut(len);
        groups.push(group);
        rest = tail;
    }
    let children: Vec<Node> = if depth < 2 {
        use rayon::prelude::*;
        groups.into_par_iter().map(|g| build(g, depth + 1, known)).collect()
    } else {
        groups.into_iter().map(|g| build(g, depth + 1, known)).collect()
    };
    let mut branch = Branch { children: Default::default(), cache };
    for (slot, child) in branch.children.iter_mut().zip(children) {
        *slot = child;
    }
    Node::Branch(Arc::new(branch))
}

/// Whether two nodes are the same shared node (so everything below them is the same).
fn same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Empty, Node::Empty) => true,
        (Node::Leaf(a), Node::Leaf(b)) => Arc::ptr_eq(a, b),
        (Node::Extension(a), Node::Extension(b)) => Arc::ptr_eq(a, b),
        (Node::Branch(a), Node::Branch(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

/// The other trie's node below extension `e`, when the other trie has an extension of the same
/// path at the same place (the two walks of [`diff`] and [`gone`] stay aligned).
fn below_extension<'a>(e: &Extension, other: Option<&'a Node>) -> Option<&'a Node> {
    match other {
        Some(Node::Extension(o)) if o.path == e.path => Some(&o.child),
        _ => None,
    }
}

/// The other trie's node at the same place, if it is a branch (its children then align).
fn as_branch(other: Option<&Node>) -> Option<&Branch> {
    match other {
        Some(Node::Branch(o)) => Some(o),
        _ => None,
    }
}

/// Reports every branch of `new` that is not shared with `old` at the same path.
fn diff(new: &Node, old: Option<&Node>, path: &mut Path, out: &mut dyn FnMut(&[u8], &RlpNode)) {
    if old.is_some_and(|o| same(new, o)) {
        return;
    }
    match new {
        Node::Empty | Node::Leaf(_) => {}
        Node::Extension(e) => {
            let len = path.len();
            path.extend_from_slice(&e.path);
            diff(&e.child, below_extension(e, old), path, out);
            path.truncate(len);
        }
        Node::Branch(b) => {
            // Only a committed branch has a hash to report; the caller commits first.
            if let Some(hash) = &b.cache {
                out(path, hash);
            }
            let old = as_branch(old);
            for (i, child) in b.children.iter().enumerate() {
                path.push(i as u8);
                diff(child, old.map(|o| &o.children[i]), path, out);
                path.pop();
            }
        }
    }
}

/// Reports every branch of `old` that the new trie (root `new_root`) no longer has at its path.
/// `new` is the new trie's node at the same path while the two walks stay aligned; elsewhere the
/// new trie is looked up from its root (only around the changed keys).
fn gone(
    old: &Node,
    new: Option<&Node>,
    new_root: &Node,
    path: &mut Path,
    out: &mut dyn FnMut(&[u8]),
) {
    if new.is_some_and(|n| same(old, n)) {
        return;
    }
    match old {
        Node::Empty | Node::Leaf(_) => {}
        Node::Extension(o) => {
            let len = path.len();
            path.extend_from_slice(&o.path);
            gone(&o.child, below_extension(o, new), new_root, path, out);
            path.truncate(len);
        }
        Node::Branch(o) => {
            let new_branch = as_branch(new);
            let kept = match new {
                Some(n) => matches!(n, Node::Branch(_)),
                None => matches!(node_at(new_root, path), Some(Node::Branch(_))),
            };
            if !kept {
                out(path);
            }
            for (i, child) in o.children.iter().enumerate() {
                path.push(i as u8);
                gone(child, new_branch.map(|n| &n.children[i]), new_root, path, out);
                path.pop();
            }
        }
    }
}

/// The node at nibble path `path` below `root` (a path ending inside an extension has none).
fn node_at<'a>(root: &'a Node, path: &[u8]) -> Option<&'a Node> {
    let mut node = root;
    let mut rest = path;
    loop {
        if rest.is_empty() {
            return Some(node);
        }
        match node {
            Node::Empty | Node::Leaf(_) => return None,
            Node::Extension(e) => {
                rest = rest.strip_prefix(e.path.as_slice())?;
                node = &e.child;
            }
            Node::Branch(b) => {
                node = b.children.get(rest[0] as usize)?;
                rest = &rest[1..];
            }
        }
    }
}

/// Puts `prefix` in front of a node that lost its parent branch.
fn prepend(mut prefix: Path, node: Node) -> Node {
    match node {
        Node::Empty => Node::Empty,
        Node::Leaf(mut l) => {
            let m = Arc::make_mut(&mut l);
            prefix.extend_from_slice(&m.path);
            m.path = prefix;
            m.cache = None;
            Node::Leaf(l)
        }
        Node::Extension(mut e) => {
            let m = Arc::make_mut(&mut e);
            prefix.extend_from_slice(&m.path);
            m.path = prefix;
            m.cache = None;
            Node::Extension(e)
        }
        branch @ Node::Branch(_) => extension(prefix, branch),
    }
}

impl Trie {
    /// An empty trie.
    pub fn new() -> Self {
        Self::default()
    }

    /// A trie of `leaves`, sorted by key with unique keys and non-empty values (the values are
    /// taken). `known` gives the reference of the branch at a nibble path if it is known to be
    /// current; the branch then keeps it instead of hashing what is below it. A wrong
    /// reference at the top of a known subtree gives a wrong root, which is how a caller finds
    /// out (it checks the root it expects); one below a known branch is not looked at until a
    /// write under that branch rehashes it, so `known` must hold the branches of one state.
    pub fn from_sorted(
        leaves: &mut [(B256, Vec<u8>)],
        known: &(dyn Fn(&[u8]) -> Option<RlpNode> + Sync),
    ) -> Self {
        debug_assert!(leaves.windows(2).all(|w| w[0].0 < w[1].0), "leaves sorted and unique");
        Self { root: build(leaves, 0, known), len: leaves.len() }
    }

    /// The reference of the branch at nibble path `path`, if there is one and it has been
    /// hashed.
    pub fn branch(&self, path: &[u8]) -> Option<RlpNode> {
        match node_at(&self.root, path)? {
            Node::Branch(b) => b.cache.clone(),
            _ => None,
        }
    }

    /// Calls `changed` with the nibble path and reference of every branch of this trie that it
    /// does not share with `old` (an earlier snapshot of it) at the same path: the branches
    /// written or moved since; and `removed` with the path of every branch of `old` that this
    /// trie has no branch at. Call [`Trie::root`] first so that each branch has its reference.
    pub fn changed_branches(
        &self,
        old: &Trie,
        changed: &mut dyn FnMut(&[u8], &RlpNode),
        removed: &mut dyn FnMut(&[u8]),
    ) {
        diff(&self.root, Some(&old.root), &mut Vec::new(), changed);
        gone(&old.root, Some(&self.root), &self.root, &mut Vec::new(), removed);
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets `key` to `value`; an empty value removes the key, as in Ethereum's tries.
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) {
        if value.is_empty() {
            self.remove(key);
            return;
        }
        let (root, added) = std::mem::take(&mut self.root).insert(&unpack(key), value);
        self.root = root;
        self.len += added as usize;
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &B256) {
        let (root, removed) = std::mem::take(&mut self.root).remove(&unpack(key));
        self.root = root;
        self.len -= removed as usize;
    }

    /// The value at `key`.
    pub fn get(&self, key: &B256) -> Option<&[u8]> {
        self.root.get(&unpack(key))
    }

    /// The root hash, rehashing only the nodes changed since the last call.
    pub fn root(&mut self) -> B256 {
        if self.root.is_empty() {
            return EMPTY_ROOT_HASH;
        }
        self.root.commit(0);
        let mut buf = Vec::new();
        self.root.encode(&mut buf);
        keccak256(&buf)
    }

    /// The RLP of every node on the path to `key`, root first: a proof of the key's value or
    /// of its absence. Call [`Trie::root`] after the last change first, so that every node's
    /// hash is current: a proof only reads, so it can be served under a shared lock.
    pub fn proof(&self, key: &B256) -> Vec<Bytes> {
        let path = unpack(key);
        let mut out = Vec::new();
        let mut node = &self.root;
        let mut rest = path.as_slice();
        let mut is_root = true;
        loop {
            let mut buf = Vec::new();
            node.encode(&mut buf);
            // Nodes shorter than 32 bytes live inside their parent, except the root.
            if is_root || buf.len() >= 32 {
                out.push(Bytes::from(buf));
            }
            is_root = false;
            match node {
                Node::Empty | Node::Leaf(_) => break,
                Node::Extension(e) => match rest.strip_prefix(e.path.as_slice()) {
                    Some(r) => {
                        rest = r;
                        node = &e.child;
                    }
                    None => break,
                },
                Node::Branch(b) => {
                    let child = &b.children[rest[0] as usize];
                    if child.is_empty() {
                        break;
                    }
                    rest = &rest[1..];
                    node = child;
                }
            }
        }
        if self.root.is_empty() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, Nibbles, proof::verify_proof};
    use std::collections::BTreeMap;

    fn reference_root(map: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = HashBuilder::default();
        for (k, v) in map {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    fn key(i: u64) -> B256 {
        keccak256(i.to_be_bytes())
    }

    #[test]
    fn empty_trie_has_the_empty_root() {
        assert_eq!(Trie::new().root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn roots_match_a_full_rebuild_through_inserts_updates_and_removals() {
        let mut trie = Trie::new();
        let mut map = BTreeMap::new();
        // Small values make short leaves that are inlined in their parents.
        for round in 0u64..6 {
            for i in 0..300u64 {
                let k = key(i * 7 % (100 + round * 50));
                let v = alloy_rlp::encode(i + round + 1);
                trie.insert(&k, v.clone());
                map.insert(k, v);
            }
            for i in (0..300u64).step_by(3 + round as usize) {
                let k = key(i);
                trie.remove(&k);
                map.remove(&k);
            }
            assert_eq!(trie.len(), map.len());
            assert_eq!(trie.root(), reference_root(&map), "round {round}");
        }
        for k in map.keys().cloned().collect::<Vec<_>>() {
            trie.remove(&k);
        }
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn a_single_key_and_shared_prefixes() {
        let mut trie = Trie::new();
        let mut map = BTreeMap::new();
        let mut a = B256::ZERO;
        a[31] = 1;
        let mut b = B256::ZERO;
        b[31] = 2;
        trie.insert(&a, vec![1]);
        map.insert(a, vec![1]);
        assert_eq!(trie.root(), reference_root(&map));
        trie.insert(&b, vec![2]);
        map.insert(b, vec![2]);
        assert_eq!(trie.root(), reference_root(&map));
        trie.remove(&a);
        map.remove(&a);
        assert_eq!(trie.root(), reference_root(&map));
    }

    #[test]
    fn proofs_verify_for_present_and_absent_keys() {
        let mut trie = Trie::new();
        for i in 0..500u64 {
            trie.insert(&key(i), alloy_rlp::encode(U256Wrap(i + 1)));
        }
        let root = trie.root();
        for i in [0u64, 1, 77, 499] {
            let proof = trie.proof(&key(i));
            verify_proof(
                root,
                Nibbles::unpack(key(i)),
                Some(alloy_rlp::encode(U256Wrap(i + 1))),
                &proof,
            )
            .unwrap();
        }
        let absent = key(10_000);
        let proof = trie.proof(&absent);
        verify_proof(root, Nibbles::unpack(absent), None, &proof).unwrap();
        // A proof does not verify a wrong value.
        let proof = trie.proof(&key(5));
        assert!(verify_proof(root, Nibbles::unpack(key(5)), Some(vec![0x42]), &proof).is_err());
    }

    #[test]
    fn a_clone_is_a_snapshot_that_later_writes_leave_alone() {
        let mut trie = Trie::new();
        let mut map = BTreeMap::new();
        for i in 0..400u64 {
            trie.insert(&key(i), alloy_rlp::encode(U256Wrap(i + 1)));
            map.insert(key(i), alloy_rlp::encode(U256Wrap(i + 1)));
        }
        let root = trie.root();
        let snapshot = trie.clone();
        // updates, inserts and removals on the live trie after the snapshot
        for i in (0..400u64).step_by(3) {
            trie.insert(&key(i), alloy_rlp::encode(U256Wrap(i + 1000)));
        }
        for i in 400..450u64 {
            trie.insert(&key(i), alloy_rlp::encode(U256Wrap(i)));
        }
        for i in (1..400u64).step_by(5) {
            trie.remove(&key(i));
        }
        assert_ne!(trie.root(), root);
        let mut snapshot_root = snapshot.clone();
        assert_eq!(snapshot_root.root(), root);
        assert_eq!(root, reference_root(&map));
        for i in [0u64, 1, 3, 6, 399] {
            let proof = snapshot.proof(&key(i));
            verify_proof(root, Nibbles::unpack(key(i)), Some(map[&key(i)].clone()), &proof)
                .unwrap();
        }
        let proof = snapshot.proof(&key(420));
        verify_proof(root, Nibbles::unpack(key(420)), None, &proof).unwrap();
    }

    /// The trie of `map` built from its sorted leaves, with the hashes of `known`'s branches
    /// where `take` says so; also the paths it asked for.
    fn built(
        map: &BTreeMap<B256, Vec<u8>>,
        known: &Trie,
        take: impl Fn(&[u8]) -> bool + Sync,
    ) -> (Trie, Vec<Vec<u8>>) {
        let asked = std::sync::Mutex::new(Vec::new());
        let mut leaves: Vec<(B256, Vec<u8>)> = map.iter().map(|(k, v)| (*k, v.clone())).collect();
        let trie = Trie::from_sorted(&mut leaves, &|p| {
            asked.lock().unwrap().push(p.to_vec());
            if take(p) { known.branch(p) } else { None }
        });
        (trie, asked.into_inner().unwrap())
    }

    #[test]
    fn a_trie_built_in_key_order_has_the_root_of_one_built_by_inserts() {
        for n in [0u64, 1, 2, 17, 300, 2_000] {
            let map: BTreeMap<B256, Vec<u8>> =
                (0..n).map(|i| (key(i), alloy_rlp::encode(U256Wrap(i + 1)))).collect();
            let (mut trie, _) = built(&map, &Trie::new(), |_| false);
            assert_eq!(trie.len(), map.len());
            assert_eq!(trie.root(), reference_root(&map), "{n} keys");
            // and it takes later writes like any other
            trie.insert(&key(n + 1), vec![0x05]);
            trie.remove(&key(0));
            let mut map = map;
            map.insert(key(n + 1), vec![0x05]);
            map.remove(&key(0));
            assert_eq!(trie.root(), reference_root(&map), "{n} keys, then written");
        }
    }

    #[test]
    fn known_branch_hashes_are_taken_without_hashing_below_them() {
        let map: BTreeMap<B256, Vec<u8>> =
            (0..3_000u64).map(|i| (key(i), alloy_rlp::encode(U256Wrap(i + 1)))).collect();
        let (mut full, asked) = built(&map, &Trie::new(), |_| false);
        let root = full.root();
        assert!(asked.len() > 16, "every branch is asked for: {}", asked.len());
        assert!(asked.iter().all(|p| full.branch(p).is_some()), "each path is a branch");
        // With every hash known the root is the same, and so are proofs through branches whose
        // leaves were never hashed.
        let (mut cached, _) = built(&map, &full, |_| true);
        assert_eq!(cached.root(), root);
        for i in [0u64, 5, 2_999] {
            let proof = cached.proof(&key(i));
            verify_proof(root, Nibbles::unpack(key(i)), Some(map[&key(i)].clone()), &proof)
                .unwrap();
        }
        // A stale hash shows in the root.
        let (mut written, _) = built(&map, &full, |_| true);
        let mut changed = map.clone();
        changed.insert(key(7), vec![0x09]);
        let (mut other, _) = built(&changed, &Trie::new(), |_| false);
        other.root();
        let (mut wrong, _) = built(&map, &other, |p| p.len() == 2);
        assert_ne!(wrong.root(), root);
        // Writes after a build with known hashes rehash only their paths, correctly.
        written.insert(&key(7), vec![0x09]);
        assert_eq!(written.root(), reference_root(&changed));
    }

    /// Every branch of `trie` by path (its changes against an empty trie).
    fn rows(trie: &Trie) -> BTreeMap<Vec<u8>, RlpNode> {
        let mut rows = BTreeMap::new();
        trie.changed_branches(
            &Trie::new(),
            &mut |p, r| {
                rows.insert(p.to_vec(), r.clone());
            },
            &mut |p| panic!("nothing is removed from an empty trie: {p:?}"),
        );
        rows
    }

    #[test]
    fn changed_branches_are_those_not_shared_with_the_snapshot() {
        let mut trie = Trie::new();
        let mut map = BTreeMap::new();
        for i in 0..2_000u64 {
            trie.insert(&key(i), alloy_rlp::encode(U256Wrap(i + 1)));
            map.insert(key(i), alloy_rlp::encode(U256Wrap(i + 1)));
        }
        trie.root();
        let mut stored = rows(&trie);
        let snapshot = trie.clone();
        let (mut changed, mut removed) = (0, 0);
        trie.changed_branches(&snapshot, &mut |_, _| changed += 1, &mut |_| removed += 1);
        assert_eq!((changed, removed), (0, 0), "nothing changed");
        for i in [3u64, 900] {
            trie.insert(&key(i), vec![0x01]);
            map.insert(key(i), vec![0x01]);
        }
        trie.remove(&key(1_500));
        map.remove(&key(1_500));
        for i in 5_000..5_010u64 {
            trie.insert(&key(i), vec![0x02]);
            map.insert(key(i), vec![0x02]);
        }
        trie.root();
        let (mut changed, mut removed) = (BTreeMap::new(), Vec::new());
        trie.changed_branches(
            &snapshot,
            &mut |p, r| {
                changed.insert(p.to_vec(), r.clone());
            },
            &mut |p| removed.push(p.to_vec()),
        );
        // Each changed key's path changed at the root and at each branch down to it, so a few
        // dozen branches, not all of them.
        assert!(changed.len() < stored.len() / 4, "{} of {}", changed.len(), stored.len());
        assert!(changed.contains_key(&Vec::new()), "the root branch changed");
        // Removing the removed rows, then writing the changed ones, gives exactly the rows of
        // the new trie.
        for p in &removed {
            stored.remove(p);
        }
        stored.extend(changed);
        assert_eq!(stored, rows(&trie));

        // Removals that empty whole branches, and a trie that shrinks to a few keys: the rows
        // follow, step by step.
        let mut stored = rows(&trie);
        let mut last = trie.clone();
        for step in 0..4u64 {
            let keep = [2_000u64, 200, 20, 2][step as usize];
            for i in (0..2_000u64).chain(5_000..5_010) {
                if i % 2_000 >= keep || i >= 5_000 {
                    trie.remove(&key(i));
                    map.remove(&key(i));
                }
            }
            trie.insert(&key(90_000 + step), vec![0x03]);
            map.insert(key(90_000 + step), vec![0x03]);
            assert_eq!(trie.root(), reference_root(&map));
            let mut removed = Vec::new();
            let mut changed = BTreeMap::new();
            trie.changed_branches(
                &last,
                &mut |p, r| {
                    changed.insert(p.to_vec(), r.clone());
                },
                &mut |p| removed.push(p.to_vec()),
            );
            for p in &removed {
                stored.remove(p);
            }
            stored.extend(changed);
            assert_eq!(stored, rows(&trie), "after step {step}");
            last = trie.clone();
        }
        let (mut rebuilt, _) = built(&map, &trie, |_| true);
        assert_eq!(rebuilt.root(), reference_root(&map));
    }

    struct U256Wrap(u64);
    impl Encodable for U256Wrap {
        fn encode(&self, out: &mut dyn BufMut) {
            alloy_primitives::U256::from(self.0).encode(out)
        }
    }
}
