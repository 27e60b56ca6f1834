namespace Manufacturing.ServiceDefaults;

/// <summary>Which deployable this host is.</summary>
/// <param name="Name">The deployable's name, as in k8s/, tye.yaml and run.sh (for example <c>shop-floor</c>).</param>
public sealed record ServiceIdentity(string Name)
{
    /// <summary>The <c>google.rpc.ErrorInfo.domain</c> of this host's errors, for example <c>shop-floor.manufacturing</c>.</summary>
    public string ErrorDomain => $"{Name}.manufacturing";
}
