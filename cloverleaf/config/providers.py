"""Provider configuration in Bifrost's shape (seed 000 field names)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cloverleaf.config.secrets import EnvValue

_STRICT = ConfigDict(extra="forbid", frozen=True)


class UrlKeyConfig(BaseModel):
    """vLLM / Ollama / SGLang per-key server URL: one provider spread over several hosts."""

    model_config = _STRICT
    url: EnvValue
    model_name: str | None = None


class AzureKeyConfig(BaseModel):
    model_config = _STRICT
    endpoint: EnvValue | None = None
    api_version: EnvValue | None = None
    client_id: EnvValue | None = None
    client_secret: EnvValue | None = None
    tenant_id: EnvValue | None = None
    scopes: list[str] = Field(default_factory=list)


class VertexKeyConfig(BaseModel):
    model_config = _STRICT
    project_id: EnvValue | None = None
    project_number: EnvValue | None = None
    region: EnvValue | None = None
    auth_credentials: EnvValue | None = None


class BedrockKeyConfig(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    access_key: EnvValue | None = None
    secret_key: EnvValue | None = None
    session_token: EnvValue | None = None
    region: EnvValue | None = None
    arn: EnvValue | None = None


class ReplicateKeyConfig(BaseModel):
    model_config = _STRICT
    use_deployments_endpoint: bool = False


class KeyConfig(BaseModel):
    """One upstream credential; several per provider share traffic by weight."""

    model_config = _STRICT
    id: str = ""
    name: str = ""
    value: EnvValue = Field(default_factory=EnvValue)
    models: list[str] = Field(default_factory=list)
    blacklisted_models: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, ge=0)
    aliases: dict[str, str] = Field(default_factory=dict)
    azure_key_config: AzureKeyConfig | None = None
    vertex_key_config: VertexKeyConfig | None = None
    bedrock_key_config: BedrockKeyConfig | None = None
    vllm_key_config: UrlKeyConfig | None = None
    ollama_key_config: UrlKeyConfig | None = None
    sgl_key_config: UrlKeyConfig | None = None
    replicate_key_config: ReplicateKeyConfig | None = None
    enabled: bool = True
    use_for_batch_api: bool = False
    config_hash: str | None = None
    status: str | None = None
    description: str | None = None

    @field_validator("aliases")
    @classmethod
    def _aliases_not_empty(cls, aliases: dict[str, str]) -> dict[str, str]:
        for alias, target in aliases.items():
            if not alias or not target:
                raise ValueError("alias names and targets must be non-empty strings")
        return aliases

    def server_url(self) -> str | None:
        """The per-key server URL (self-hosted providers, an Azure resource), if any."""
        for block in (self.vllm_key_config, self.ollama_key_config, self.sgl_key_config):
            if block is not None and block.url.value:
                return block.url.value
        azure = self.azure_key_config
        if azure is not None and azure.endpoint is not None and azure.endpoint.value:
            return azure.endpoint.value
        return None


class NetworkConfig(BaseModel):
    """Defaults follow Bifrost's, except a longer timeout: LLM answers often take over 30 s."""

    model_config = _STRICT
    base_url: str | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict)
    default_request_timeout_in_seconds: int = Field(default=120, gt=0)
    max_retries: int = Field(default=0, ge=0, le=10)
    retry_backoff_initial: int = Field(default=500, ge=0)
    retry_backoff_max: int = Field(default=5000, ge=0)
    insecure_skip_verify: bool = False
    ca_cert_pem: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return url.rstrip("/") if url else None


class ConcurrencyAndBufferSize(BaseModel):
    model_config = _STRICT
    concurrency: int = Field(default=1000, gt=0)
    buffer_size: int = Field(default=5000, ge=0)


class ProxyConfig(BaseModel):
    model_config = _STRICT
    type: Literal["none", "http", "socks5", "environment"] = "none"
    url: str | None = None
    username: str | None = None
    password: str | None = None
    ca_cert_pem: str | None = None

    @model_validator(mode="after")
    def _url_for_type(self) -> ProxyConfig:
        """`host:port` is accepted: the scheme then comes from `type`."""
        if self.type in ("http", "socks5") and not self.url:
            raise ValueError(f"proxy type {self.type} needs a url, e.g. host:3128")
        return self


class CustomProviderConfig(BaseModel):
    model_config = _STRICT
    is_key_less: bool = False
    base_provider_type: str
    allowed_requests: dict[str, bool] | None = None
    request_path_overrides: dict[str, str] = Field(default_factory=dict)


class ProviderConfig(BaseModel):
    model_config = _STRICT
    keys: list[KeyConfig] = Field(default_factory=list)
    network_config: NetworkConfig = Field(default_factory=NetworkConfig)
    concurrency_and_buffer_size: ConcurrencyAndBufferSize = Field(
        default_factory=ConcurrencyAndBufferSize
    )
    proxy_config: ProxyConfig = Field(default_factory=ProxyConfig)
    custom_provider_config: CustomProviderConfig | None = None
    send_back_raw_request: bool = False
    send_back_raw_response: bool = False
    store_raw_request_response: bool = False


class GatewayConfig(BaseModel):
    """The whole file. Unknown top-level sections (Bifrost's `client`, `governance`, ...) are kept
    for later layers; unknown fields inside a provider are errors, since they are usually typos."""

    model_config = ConfigDict(extra="allow", frozen=True)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
