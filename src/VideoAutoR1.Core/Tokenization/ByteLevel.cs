namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// GPT-2 byte-level alphabet: every byte maps to one printable character, so BPE vocabularies never hold raw
/// spaces or control bytes (space is <c>Ġ</c>, newline <c>Ċ</c>). Decoding maps the characters back to bytes.
/// </summary>
internal static class ByteLevel
{
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            // Printable Latin-1 keeps its own code point; the other 68 bytes are moved to U+0100 and up.
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            var c = printable ? (char)b : (char)(256 + shifted++);
            map[c] = (byte)b;
        }

        return map;
    }

    /// <summary>
    /// The bytes a token stands for, as Hugging Face's ByteLevel decoder computes them: the byte-level inverse when
    /// every character is in the alphabet, otherwise the token's own UTF-8 (added tokens such as <c>&lt;|im_end|&gt;</c>).
    /// </summary>
    public static byte[] TokenBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i]))
            {
                return System.Text.Encoding.UTF8.GetBytes(token);
            }
        }

        return bytes;
    }
}
