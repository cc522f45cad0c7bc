using System.Globalization;
using System.Text.Json;
using TorchSharp;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Cli;

/// <summary>One compared tensor: max |ours − reference|, or an exact comparison, or a reference the set lacks.</summary>
public sealed record ParityEntry(string Name, ParityStatus Status, double MaxAbsDiff = 0, double Tolerance = 0, string? Detail = null)
{
    public override string ToString() => Status switch
    {
        ParityStatus.Absent => $"{Name,-44} absent ({Detail})",
        ParityStatus.Info => $"{Name,-44} max_abs_diff {Format(MaxAbsDiff)}  (report only{(Detail is null ? "" : ": " + Detail)})",
        _ => $"{Name,-44} max_abs_diff {Format(MaxAbsDiff)}  tol {Format(Tolerance)}  {(Status == ParityStatus.Pass ? "ok" : "FAIL")}{(Detail is null ? "" : "  " + Detail)}",
    };

    private static string Format(double value) => value.ToString("0.###e+0", CultureInfo.InvariantCulture);
}

public enum ParityStatus
{
    Pass,
    Fail,

    /// <summary>Reference not in this set (e.g. no bf16 or text-only outputs): reported, not failed.</summary>
    Absent,

    /// <summary>Measured and printed but not judged (e.g. bf16 deviation from fp32 references).</summary>
    Info,
}

/// <summary>
/// Runs this port against a fixture set written by the reference Hugging Face run (layout of
/// <c>tests/VideoAutoR1.Model.Tests/Fixtures/qwen2_5_vl/README.md</c>): rope ids, vision intermediates, decoder layers, prefill logits and the greedy
/// continuation. Shared by the parity tests and the <c>parity</c> CLI command. Nothing about a set's shapes is
/// assumed: everything is read from its files.
/// </summary>
public static class ParityRunner
{
    /// <summary>
    /// Float32 tolerance: 1e-4 absolute (fixture README: "about 1e-4 absolute" on logits, whose magnitude is below
    /// <see cref="ToleranceScale"/>), growing in proportion for tensors with larger values (residual streams, video
    /// embeddings): that is a relative bound of 1.25e-5 of the tensor's largest magnitude, about 100 fp32 ulps.
    /// </summary>
    public const double Float32Tolerance = 1e-4;

    public const double ToleranceScale = 8.0;

    public static double ToleranceFor(double referenceAbsMax) => Float32Tolerance * Math.Max(1.0, referenceAbsMax / ToleranceScale);

    /// <summary>A directory is a fixture set when it has model/config.json and expected.safetensors.</summary>
    public static bool IsFixtureSet(string dir) =>
        File.Exists(Path.Combine(dir, "model", Qwen2_5_VLConfig.FileName)) && File.Exists(Path.Combine(dir, "expected.safetensors"));

    /// <summary>The set itself, or the sets directly or recursively below it (sorted).</summary>
    public static IReadOnlyList<string> DiscoverSets(string dir)
    {
        if (IsFixtureSet(dir))
        {
            return [Path.GetFullPath(dir)];
        }

        return Directory.Exists(dir)
            ? Directory.GetDirectories(dir).Order(StringComparer.Ordinal).SelectMany(DiscoverSets).ToList()
            : [];
    }

    /// <summary>
    /// The rope rule the reference transformers used: versions from 5.1 on carry the "unify 3D position ids" rewrite.
    /// </summary>
    public static RopeIndexRule ReferenceRopeRule(string setDir)
    {
        var metaPath = Path.Combine(setDir, "meta.json");
        if (!File.Exists(metaPath))
        {
            return RopeIndexRule.Legacy;
        }

        JsonDocument meta;
        try
        {
            meta = JsonDocument.Parse(File.ReadAllText(metaPath));
        }
        catch (JsonException error)
        {
            throw ModelErrors.Input("fixture_invalid", $"{metaPath}: not valid JSON ({error.Message})");
        }

        using var _ = meta;
        if (!meta.RootElement.TryGetProperty("transformers_version", out var version) || version.ValueKind != JsonValueKind.String)
        {
            return RopeIndexRule.Legacy;
        }

        var parts = version.GetString()!.Split('.');
        if (!int.TryParse(parts[0], CultureInfo.InvariantCulture, out var major))
        {
            throw ModelErrors.Input("fixture_invalid", $"{metaPath}: transformers_version '{version.GetString()}' is not a version number");
        }

        var minor = parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var m) ? m : 0;
        return major > 5 || (major == 5 && minor >= 1) ? RopeIndexRule.Current : RopeIndexRule.Legacy;
    }

    public static IReadOnlyList<ParityEntry> Run(string setDir, ScalarType dtype = ScalarType.Float32, RopeIndexRule? rule = null)
    {
        var run = new SetRun(setDir, dtype, rule ?? ReferenceRopeRule(setDir));
        return run.Execute();
    }

    private sealed class SetRun(string dir, ScalarType dtype, RopeIndexRule rule)
    {
        private readonly List<ParityEntry> _entries = [];
        private readonly bool _reduced = dtype != ScalarType.Float32;
        private SafeTensorsFile _expected = null!;

        public List<ParityEntry> Execute()
        {
            using var expected = SafeTensorsFile.Open(Path.Combine(dir, "expected.safetensors"));
            using var inputs = SafeTensorsFile.Open(Path.Combine(dir, "inputs.safetensors"));
            _expected = expected;
            using var model = VideoLanguageModels.Load(Path.Combine(dir, "model"), new ModelLoadOptions(dtype, RopeRule: rule));
            CheckRopeCases(model);

            if (inputs.Entries.ContainsKey("input_ids"))
            {
                CheckPrompt(model, inputs, "input_ids", "prefill", "generate");
            }
            else
            {
                Absent("prefill.*", "inputs.safetensors has no input_ids");
            }

            if (inputs.Entries.ContainsKey("text_only_input_ids"))
            {
                CheckPrompt(model, inputs, "text_only_input_ids", "text_only", "text_only.generate");
            }
            else
            {
                Absent("text_only.*", "no text-only prompt in this set");
            }

            return _entries;
        }

        // Each case holds one or more prompts (rows, left-padded where attention_mask is 0) with the images and videos
        // of all rows in order; references are either per rule (.legacy / .current) or of the set's own rule.
        private void CheckRopeCases(IVideoLanguageModel model)
        {
            var path = Path.Combine(dir, "rope_index_cases.safetensors");
            if (!File.Exists(path))
            {
                Absent("rope_index_cases.*", "no rope_index_cases.safetensors");
                return;
            }

            var probe = (IParityProbe)model;
            using var cases = SafeTensorsFile.Open(path);
            var prefixes = cases.Entries.Keys.Where(k => k.EndsWith(".input_ids", StringComparison.Ordinal))
                .Select(k => k[..^".input_ids".Length]).Order(StringComparer.Ordinal);
            foreach (var prefix in prefixes)
            {
                var variants = cases.Entries.ContainsKey(prefix + ".position_ids")
                    ? [("", rule)]
                    : new[] { (".legacy", RopeIndexRule.Legacy), (".current", RopeIndexRule.Current) };
                foreach (var (suffix, caseRule) in variants)
                {
                    var name = $"{prefix}.position_ids{suffix}";
                    if (!cases.Entries.ContainsKey(name))
                    {
                        Absent(name, "not in rope_index_cases");
                        continue;
                    }

                    var (positions, deltas) = CaseRopeIndex(cases, prefix, probe, model.SpatialMergeSize, caseRule);
                    Exact(name, positions, ReadLongs(cases, name));
                    Exact($"{prefix}.rope_deltas{suffix}", deltas, ReadLongs(cases, $"{prefix}.rope_deltas{suffix}"));
                }
            }
        }

        // Positions [3, B, L] (padding at 1, as HF's torch.ones start leaves it) and deltas against the padded length.
        private static (long[] Positions, long[] Deltas) CaseRopeIndex(SafeTensorsFile cases, string prefix, IParityProbe probe, int merge, RopeIndexRule rule)
        {
            using var idsTensor = cases.Read(prefix + ".input_ids");
            long rows = idsTensor.shape[0], length = idsTensor.shape[1];
            var ids = ReadLongs(cases, prefix + ".input_ids");
            var mask = cases.Entries.ContainsKey(prefix + ".attention_mask")
                ? ReadLongs(cases, prefix + ".attention_mask")
                : Enumerable.Repeat(1L, ids.Length).ToArray();
            var videos = new Queue<GridThw>(ReadGrids(cases, prefix + ".video_grid_thw"));
            var images = new Queue<GridThw>(ReadGrids(cases, prefix + ".image_grid_thw"));
            var seconds = new Queue<double>(ReadDoubles(cases, prefix + ".second_per_grid_ts"));
            var videoToken = ((IVideoLanguageModel)probe).VideoTokenId;
            var positions = Enumerable.Repeat(1L, (int)(3 * rows * length)).ToArray();
            var deltas = new long[rows];
            for (var b = 0; b < rows; b++)
            {
                var real = Enumerable.Range(0, (int)length).Where(i => mask[b * length + i] == 1).ToArray();
                var rowIds = real.Select(i => ids[b * length + i]).ToArray();

                // This row's grids: take videos until their tokens cover the row's video tokens, one image per image run.
                var videoTokens = rowIds.LongCount(t => t == videoToken);
                var rowVideos = new List<GridThw>();
                var rowSeconds = new List<double>();
                while (rowVideos.Sum(g => g.Tokens(merge)) < videoTokens && videos.Count > 0)
                {
                    rowVideos.Add(videos.Dequeue());
                    rowSeconds.Add(seconds.Count > 0 ? seconds.Dequeue() : 0);
                }

                var imageToken = probe.ImageTokenId;
                var imageRuns = rowIds.Where((t, i) => t == imageToken && (i == 0 || rowIds[i - 1] != imageToken)).Count();
                var rowImages = Enumerable.Range(0, Math.Min(imageRuns, images.Count)).Select(_ => images.Dequeue()).ToList();
                var index = probe.GetRopeIndex(rowIds, rowVideos, rowSeconds, rowImages, rule);
                for (var k = 0; k < real.Length; k++)
                {
                    for (var r = 0; r < 3; r++)
                    {
                        positions[(r * rows + b) * length + real[k]] = index.PositionIds[r, k];
                    }
                }

                deltas[b] = index.RopeDelta - (length - real.Length);
            }

            return (positions, deltas);
        }

        private void CheckPrompt(IVideoLanguageModel model, SafeTensorsFile inputs, string idsName, string prefix, string generatePrefix)
        {
            using var scope = NewDisposeScope();
            var probe = (IParityProbe)model;
            var ids = ReadLongs(inputs, idsName);
            var hasVideo = prefix == "prefill" && inputs.Entries.ContainsKey("pixel_values_videos");
            var grids = hasVideo ? ReadGrids(inputs, "video_grid_thw") : [];
            var seconds = hasVideo ? ReadDoubles(inputs, "second_per_grid_ts") : [];
            var positions = hasVideo ? model.GetRopeIndex(ids, grids, seconds) : RopeIndex.Sequential(ids.Length);
            var positionName = prefix == "prefill" ? "position_ids" : $"{prefix}.position_ids";
            var deltaName = prefix == "prefill" ? "rope_deltas" : $"{prefix}.rope_deltas";
            if (prefix == "prefill" || Has(positionName))
            {
                ExactPositions(positionName, positions, OptionalLongs(positionName), Has(deltaName) ? ReadLongs(_expected, deltaName)[0] : null);
            }

            Tensor? video = null;
            if (hasVideo)
            {
                video = probe.GetVideoFeatures(inputs.Read("pixel_values_videos"), grids, (name, t) => Compare(name, t));
                foreach (var (name, values) in probe.VisionLayoutIndexes(grids))
                {
                    Exact(name, values, OptionalLongs(name));
                }

                // Rows may carry DeepStack features after the embedding; the embedding is the first hidden-size values.
                using var embeds = video.narrow(1, 0, model.Text.HiddenSize);
                Compare("vision.video_embeds", embeds);
                CompareBf16("vision.video_embeds", embeds);
            }

            var positionTensor = PositionTensor(positions);
            using (no_grad())
            {
                if (prefix == "prefill")
                {
                    probe.RotaryCosSin(positionTensor, (name, t) => Compare($"prefill.{name}", t));
                }

                var logits = probe.ForwardLogits(tensor(ids, [1, ids.Length]), positionTensor, video,
                    (name, t) => Compare($"{prefix}.{name}", t));
                Compare($"{prefix}.logits", logits);
                CompareBf16($"{prefix}.logits", logits);
            }

            CheckGreedy(model, ids, video, positions, generatePrefix);
        }

        // Greedy decode through the KV cache, fed with the reference tokens so each step's logits stay comparable.
        private void CheckGreedy(IVideoLanguageModel model, long[] ids, Tensor? video, RopeIndex positions, string prefix)
        {
            if (!Has($"{prefix}.new_tokens"))
            {
                Absent($"{prefix}.*", "no greedy reference");
                return;
            }

            var reference = ReadLongs(_expected, $"{prefix}.new_tokens");
            using var pool = new KvCachePool(model.Text, 1, ids.Length + reference.Length, model.DType);
            var slot = pool.Rent();
            var steps = new List<Tensor>();
            var chosen = new long[reference.Length];
            var decodePositions = new List<long>();
            var logits = model.Prefill([new PrefillInput(slot, ids, video, positions)], pool);
            for (var i = 0; i < reference.Length; i++)
            {
                steps.Add(logits);
                chosen[i] = logits.argmax(-1).item<long>();
                if (i + 1 < reference.Length)
                {
                    decodePositions.Add(pool.Length(slot) + pool.RopeDelta(slot));
                    logits = model.DecodeStep([reference[i]], [slot], pool);
                }
            }

            var stepLogits = cat(steps, 0);
            var mismatches = chosen.Select((c, i) => c == reference[i] ? -1 : i).Where(i => i >= 0).ToList();
            var tokenStatus = _reduced ? ParityStatus.Info : mismatches.Count == 0 ? ParityStatus.Pass : ParityStatus.Fail;
            _entries.Add(new ParityEntry($"{prefix}.new_tokens", tokenStatus, mismatches.Count, 0,
                mismatches.Count == 0 ? "ids identical" : $"{mismatches.Count} of {chosen.Length} ids differ, first at step {mismatches[0]}"));
            Compare($"{prefix}.step_logits", stepLogits);
            var logprobs = stepLogits.log_softmax(-1).gather(1, tensor(reference).view(-1, 1)).view(-1);
            Compare($"{prefix}.chosen_logprobs", logprobs);
            if (Has($"{prefix}.decode_position_ids"))
            {
                var expectedPositions = ReadLongs(_expected, $"{prefix}.decode_position_ids");
                var ours = decodePositions.SelectMany(p => new[] { p, p, p }).ToArray();
                Exact($"{prefix}.decode_position_ids", ours, expectedPositions);
            }
        }

        private void ExactPositions(string name, RopeIndex ours, long[]? expected, long? expectedDelta)
        {
            var flat = new long[3 * ours.Length];
            Buffer.BlockCopy(ours.PositionIds, 0, flat, 0, flat.Length * sizeof(long));
            Exact(name, flat, expected);
            var deltaName = name.Replace("position_ids", "rope_deltas", StringComparison.Ordinal);
            Exact(deltaName, [ours.RopeDelta], expectedDelta is { } d ? [d] : null);
        }

        private void Exact(string name, long[] ours, long[]? expected)
        {
            if (expected is null)
            {
                Absent(name, "not in expected.safetensors");
                return;
            }

            var differing = ours.Length != expected.Length ? -1 : ours.Where((v, i) => v != expected[i]).Count();
            var detail = differing < 0 ? $"length {ours.Length} vs {expected.Length}" : differing == 0 ? "exact" : $"{differing} values differ";
            var maxDiff = differing < 0 ? double.PositiveInfinity : ours.Select((v, i) => Math.Abs((double)v - expected[i])).DefaultIfEmpty(0).Max();
            _entries.Add(new ParityEntry(name, differing == 0 ? ParityStatus.Pass : ParityStatus.Fail, maxDiff, 0, detail));
        }

        // Float tensors: judged against fp32 references in fp32 mode; in bf16 mode only the deviation is reported.
        private void Compare(string name, Tensor ours)
        {
            if (!Has(name))
            {
                Absent(name, "not in expected.safetensors");
                return;
            }

            var (diff, absMax) = MaxAbsDiff(ours, name);
            var tolerance = ToleranceFor(absMax);
            var status = _reduced ? ParityStatus.Info : diff <= tolerance ? ParityStatus.Pass : ParityStatus.Fail;
            _entries.Add(new ParityEntry(name, status, diff, tolerance, _reduced ? "vs fp32 reference" : null));
        }

        private void CompareBf16(string name, Tensor ours)
        {
            var reference = "bf16." + name;
            if (!_reduced)
            {
                return;
            }

            if (!Has(reference))
            {
                Absent(reference, "no bf16 reference in this set");
                return;
            }

            _entries.Add(new ParityEntry(reference, ParityStatus.Info, MaxAbsDiff(ours, reference).Diff, 0, "vs HF bf16 reference"));
        }

        /// <summary>Max |ours − reference| and the reference's largest magnitude.</summary>
        private (double Diff, double AbsMax) MaxAbsDiff(Tensor ours, string referenceName)
        {
            using var scope = NewDisposeScope();
            var reference = _expected.Read(referenceName);
            var mine = ours.detach().cpu().to(ScalarType.Float32);
            if (!mine.shape.SequenceEqual(reference.shape))
            {
                if (mine.numel() != reference.numel())
                {
                    return (double.PositiveInfinity, 0);
                }

                mine = mine.reshape(reference.shape);
            }

            return ((mine - reference).abs().max().item<float>(), reference.abs().max().item<float>());
        }

        private void Absent(string name, string why) => _entries.Add(new ParityEntry(name, ParityStatus.Absent, Detail: why));

        private bool Has(string name) => _expected.Entries.ContainsKey(name);

        private long[]? OptionalLongs(string name) => Has(name) ? ReadLongs(_expected, name) : null;

        private static Tensor PositionTensor(RopeIndex positions)
        {
            var flat = new long[3 * positions.Length];
            Buffer.BlockCopy(positions.PositionIds, 0, flat, 0, flat.Length * sizeof(long));
            return tensor(flat, [3, 1, positions.Length]);
        }

        private static long[] ReadLongs(SafeTensorsFile file, string name)
        {
            using var t = file.Read(name);
            using var longs = t.to(ScalarType.Int64);
            return longs.data<long>().ToArray();
        }

        private static double[] ReadDoubles(SafeTensorsFile file, string name)
        {
            if (!file.Entries.ContainsKey(name))
            {
                return [];
            }

            using var t = file.Read(name);
            using var doubles = t.to(ScalarType.Float64);
            return doubles.data<double>().ToArray();
        }

        private static List<GridThw> ReadGrids(SafeTensorsFile file, string name)
        {
            if (!file.Entries.ContainsKey(name))
            {
                return [];
            }

            var values = ReadLongs(file, name);
            return Enumerable.Range(0, values.Length / 3)
                .Select(i => new GridThw((int)values[3 * i], (int)values[3 * i + 1], (int)values[3 * i + 2])).ToList();
        }
    }
}
