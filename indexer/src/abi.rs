//! The token standards the indexer recognises: their events and the calls that read metadata.

alloy::sol! {
    /// ERC-20 and ERC-721 (three or four topics).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// ERC-1155.
    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);
    /// ERC-1155.
    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    function name() external view returns (string);
    function symbol() external view returns (string);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address holder) external view returns (uint256);
    function supportsInterface(bytes4 id) external view returns (bool);
}

/// ERC-1155 `balanceOf(address,uint256)`, in its own module because Solidity overloads the name.
pub mod erc1155 {
    alloy::sol! {
        function balanceOf(address holder, uint256 id) external view returns (uint256);
    }
}

/// ERC-165 interface id of ERC-721.
pub const ERC721_INTERFACE: [u8; 4] = [0x80, 0xac, 0x58, 0xcd];
