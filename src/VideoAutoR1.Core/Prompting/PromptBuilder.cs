using System.Text;
using System.Text.RegularExpressions;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Prompting;

/// <summary>
/// Renders a question as the Qwen2.5-VL chat template does for
/// <c>[system, user: [video, text]]</c> with <c>add_generation_prompt</c>: the video block
/// (<c>&lt;|vision_start|&gt;</c> + N × <c>&lt;|video_pad|&gt;</c> + <c>&lt;|vision_end|&gt;</c>) comes before the text.
/// Rejects bad questions with <see cref="VideoQaException"/> (<see cref="ErrorKind.InvalidArgument"/>).
/// </summary>
public sealed partial class PromptBuilder
{
    private const string VisionStart = "<|vision_start|>";
    private const string VisionEnd = "<|vision_end|>";
    private const string VideoPad = "<|video_pad|>";
    private const string After = "<|im_end|>\n<|im_start|>assistant\n";

    private readonly PromptOptions _options;

    public PromptBuilder(PromptOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>
    /// The full prompt text; <paramref name="videoTokenCount"/> 0 leaves the video block out (text-only question).
    /// With <paramref name="groupTimestamps"/> (Qwen3-VL) the video is one block per temporal group, each after its
    /// <c>&lt;t seconds&gt;</c> text, as <c>Qwen3VLProcessor</c> expands it; the tokens split evenly over the groups.
    /// </summary>
    public string Build(QuestionSpec question, int videoTokenCount, IReadOnlyList<double>? groupTimestamps = null)
    {
        var (before, user) = Parts(question, videoTokenCount, groupTimestamps);
        var prompt = new StringBuilder(before.Length + user.Length + 64 + videoTokenCount * VideoPad.Length);
        prompt.Append(before);
        foreach (var (label, tokens) in VideoBlocks(videoTokenCount, groupTimestamps))
        {
            prompt.Append(label).Append(VisionStart);
            for (var i = 0; i < tokens; i++)
            {
                prompt.Append(VideoPad);
            }

            prompt.Append(VisionEnd);
        }

        return prompt.Append(user).Append(After).ToString();
    }

    /// <summary>
    /// The prompt's token ids (the same as encoding <see cref="Build"/>, without materialising N pad strings).
    /// </summary>
    /// <exception cref="VideoQaException"><c>prompt_too_long</c> when it leaves fewer than
    /// <see cref="PromptOptions.MinNewTokens"/> of <see cref="PromptOptions.ContextLength"/> for the answer.</exception>
    public int[] Encode(QuestionSpec question, int videoTokenCount, QwenTokenizer tokenizer, IReadOnlyList<double>? groupTimestamps = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var (before, user) = Parts(question, videoTokenCount, groupTimestamps);
        var ids = new List<int>(videoTokenCount + 512);
        var special = tokenizer.Special;

        // Special tokens split the text before tokenisation, so each text run between them is encoded on its own.
        var text = before;
        foreach (var (label, tokens) in VideoBlocks(videoTokenCount, groupTimestamps))
        {
            ids.AddRange(tokenizer.Encode(text + label));
            text = "";
            ids.Add(special.VisionStart);
            ids.AddRange(Enumerable.Repeat(special.VideoPad, tokens));
            ids.Add(special.VisionEnd);
        }

        ids.AddRange(tokenizer.Encode(text + user + After));
        var limit = _options.ContextLength - _options.MinNewTokens;
        if (ids.Count > limit)
        {
            throw VideoQaException.InvalidArgument("prompt_too_long", null, $"the prompt is {ids.Count} tokens ({videoTokenCount} of them video); at most {limit} fit the {_options.ContextLength}-token context with room for an answer");
        }

        return [.. ids];
    }

    /// <summary>Qwen3-VL's per-group label, <c>f"&lt;{t:.1f} seconds&gt;"</c> with Python's rounding.</summary>
    public static string TimestampLabel(double seconds) => $"<{PythonFormat.Fixed(seconds, 1)} seconds>";

    private static IEnumerable<(string Label, int Tokens)> VideoBlocks(int videoTokenCount, IReadOnlyList<double>? groupTimestamps)
    {
        if (videoTokenCount == 0)
        {
            return [];
        }

        return groupTimestamps is null
            ? [("", videoTokenCount)]
            : groupTimestamps.Select(t => (TimestampLabel(t), videoTokenCount / groupTimestamps.Count));
    }

    private (string Before, string User) Parts(QuestionSpec question, int videoTokenCount, IReadOnlyList<double>? groupTimestamps)
    {
        Validate(question);
        if (videoTokenCount < 0)
        {
            throw VideoQaException.InvalidArgument("video_tokens_invalid", null, $"video token count must be >= 0, got {videoTokenCount}");
        }

        if (groupTimestamps is not null && (groupTimestamps.Count == 0 || videoTokenCount % groupTimestamps.Count != 0))
        {
            throw VideoQaException.InvalidArgument("video_tokens_invalid", null, $"{videoTokenCount} video tokens do not split into {groupTimestamps.Count} temporal groups");
        }

        return ($"<|im_start|>system\n{_options.SystemPrompt}<|im_end|>\n<|im_start|>user\n", UserPrompts.For(question));
    }

    private void Validate(QuestionSpec question)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (!Enum.IsDefined(question.Kind))
        {
            throw VideoQaException.InvalidArgument("task_kind_invalid", null, $"unknown task kind {question.Kind}");
        }

        if (string.IsNullOrWhiteSpace(question.Question))
        {
            throw VideoQaException.InvalidArgument("question_empty", "question", "the question is empty");
        }

        CheckText(question.Question, "question");
        if (!Enum.IsDefined(question.Style) || (question.Style != PromptStyle.Default && question.Kind != TaskKind.MultipleChoice))
        {
            throw VideoQaException.InvalidArgument("prompt_style_invalid", null, $"prompt style {question.Style} is for multiple-choice questions only, not {question.Kind}");
        }

        var options = question.Options ?? [];
        var takesOptions = question.Kind is TaskKind.MultipleChoice or TaskKind.GroundedQa;
        if (!takesOptions && options.Count > 0)
        {
            throw VideoQaException.InvalidArgument("options_not_allowed", "options", $"a {question.Kind} question takes no options");
        }

        if (!takesOptions)
        {
            return;
        }

        if (options.Count < 2)
        {
            throw VideoQaException.InvalidArgument("options_too_few", "options", $"a {question.Kind} question needs at least 2 options, got {options.Count}");
        }

        if (options.Count > _options.MaxOptions)
        {
            throw VideoQaException.InvalidArgument("options_too_many", "options", $"at most {_options.MaxOptions} options are allowed, got {options.Count}");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in options)
        {
            if (string.IsNullOrWhiteSpace(option))
            {
                throw VideoQaException.InvalidArgument("option_empty", "options", "an option is empty");
            }

            CheckText(option, "options");
            if (!seen.Add(UnicodeText.Normalize(option.Trim(), NormalizationForm.FormKC)))
            {
                throw VideoQaException.InvalidArgument("options_duplicate", "options", $"option '{option}' appears more than once");
            }
        }
    }

    private void CheckText(string text, string field)
    {
        if (text.Length > _options.MaxTextLength)
        {
            throw VideoQaException.InvalidArgument("text_too_long", field, $"{field} is {text.Length} characters; at most {_options.MaxTextLength} are allowed");
        }

        if (!UnicodeText.IsWellFormed(text))
        {
            throw VideoQaException.InvalidArgument("invalid_text_encoding", field, $"{field} is not valid Unicode (unpaired surrogate)");
        }

        // The tokenizer would turn these into real control tokens and let the text rewrite the conversation.
        if (ControlToken().Match(text) is { Success: true } control)
        {
            throw VideoQaException.InvalidArgument("control_token_in_text", field, $"{field} contains the control token {control.Value}");
        }
    }

    [GeneratedRegex(@"<\|[a-z_]+\|>")]
    private static partial Regex ControlToken();
}
