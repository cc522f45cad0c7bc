using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace VideoAutoR1.Media;

public static class MediaServiceCollectionExtensions
{
    /// <summary>Binds <see cref="MediaOptions"/> from <paramref name="section"/> (validated at start) and registers the preprocessor.</summary>
    public static IServiceCollection AddVideoMedia(this IServiceCollection services, IConfiguration section)
    {
        services.AddOptions<MediaOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MediaDecodeOptions>().Bind(section.GetSection("Decode")).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MediaOptions>, MediaOptionsValidator>());
        services.TryAddSingleton<VideoPreprocessor>();
        return services;
    }
}
