"""Who is calling: accounts, roles, access tokens, sign-in."""

from vault.auth.actors import Actor, ActorKind, Role

__all__ = ["Actor", "ActorKind", "Role"]
