"""How the emulator builds each domain use case: the recipe it trains, the events it trains on, and the
events whose items it never recommends back. spec: personalize-behavior.md §10.1, recipes-and-models.md §5.16"""

from dataclasses import dataclass


@dataclass(frozen=True)
class UseCase:
    recipe: str                      # the custom recipe trained behind the recommender
    event_type: str | None = None    # only these interactions train it (None: all)
    excluded: tuple[str, ...] = ()   # the user's items with these event types are never recommended
    needs_user: bool = True          # GetRecommendations requires userId
    needs_item: bool = False         # GetRecommendations requires itemId


USE_CASES = {
    "aws-ecomm-popular-items-by-views": UseCase("aws-popularity-count", "View"),
    "aws-ecomm-popular-items-by-purchases": UseCase("aws-popularity-count", "Purchase"),
    "aws-ecomm-frequently-bought-together": UseCase("aws-sims", "Purchase", needs_user=False, needs_item=True),
    "aws-ecomm-customers-who-viewed-x-also-viewed": UseCase("aws-sims", "View", ("Purchase",), needs_item=True),
    "aws-ecomm-recommended-for-you": UseCase("aws-user-personalization", None, ("Purchase",)),
    "aws-vod-because-you-watched-x": UseCase("aws-sims", "Watch", ("Watch",), needs_item=True),
    "aws-vod-more-like-x": UseCase("aws-similar-items", None, ("Watch",), needs_item=True),
    "aws-vod-most-popular": UseCase("aws-popularity-count", "Watch"),
    "aws-vod-trending-now": UseCase("aws-trending-now", None, needs_user=False),
    "aws-vod-top-picks": UseCase("aws-user-personalization", None, ("Watch",)),
}
