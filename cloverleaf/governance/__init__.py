"""Client keys, budgets, rate limits and pricing: reserve before the upstream call, settle after."""
