namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// One entry of <c>added_tokens</c> in <c>tokenizer.json</c>. Added tokens are matched whole in the input, before
/// normalisation (or after it when <see cref="Normalized"/>), whether or not they are <see cref="Special"/>.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip);
