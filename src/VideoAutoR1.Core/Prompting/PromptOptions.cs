using System.ComponentModel.DataAnnotations;

namespace VideoAutoR1.Core.Prompting;

/// <summary>How prompts are built and which limits they must respect.</summary>
public sealed class PromptOptions
{
    /// <summary>System message; the VideoAuto-R1 eval prompt by default (the model was trained on it).</summary>
    [Required(AllowEmptyStrings = false)]
    public string SystemPrompt { get; set; } = SystemPrompts.AnswerTwiceEval;

    /// <summary>Most options a multiple-choice question may have (letters A.. so at most 26).</summary>
    [Range(2, 26)]
    public int MaxOptions { get; set; } = 10;

    /// <summary>Longest question or option text, in characters.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 8_192;

    /// <summary>The model's context in tokens (<c>max_position_embeddings</c>; 128000 for Qwen2.5-VL-7B).</summary>
    [Range(16, int.MaxValue)]
    public int ContextLength { get; set; } = 128_000;

    /// <summary>Tokens kept free for the answer: a prompt longer than <see cref="ContextLength"/> minus this is refused.</summary>
    [Range(1, int.MaxValue)]
    public int MinNewTokens { get; set; } = 16;

    /// <summary>Throws <see cref="ValidationException"/> when a value is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinNewTokens >= ContextLength)
        {
            throw new ValidationException($"{nameof(MinNewTokens)} must be smaller than {nameof(ContextLength)}");
        }
    }
}
