using System.Text;
using Microsoft.ML.Tokenizers;

namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// The <c>NFC</c>/<c>NFKC</c>/<c>NFD</c>/<c>NFKD</c> normalizers of <c>tokenizer.json</c>
/// (Microsoft.ML.Tokenizers 2.0 ships none of them).
/// </summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public NormalizationForm Form { get; } = form;

    public override string Normalize(string original) =>
        original.IsNormalized(Form) ? original : original.Normalize(Form);

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
