namespace VideoAutoR1.Core.Tokenization;

/// <summary>Ids of the chat and vision markers every Qwen2/2.5/3(-VL) tokenizer has.</summary>
/// <param name="Think">Id of <c>&lt;think&gt;</c> when it is an added token (Qwen3); null where it is plain text (Qwen2.5).</param>
/// <param name="EndThink">Id of <c>&lt;/think&gt;</c>, as for <paramref name="Think"/>.</param>
public sealed record QwenSpecialTokens(
    int ImStart,
    int ImEnd,
    int EndOfText,
    int VisionStart,
    int VisionEnd,
    int VideoPad,
    int ImagePad,
    int? Think,
    int? EndThink);
