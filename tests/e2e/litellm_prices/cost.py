"""LiteLLM's own price for each case: reads a JSON list of cases on stdin, writes a JSON list
of `{"cost": USD}` or `{"error": message}` on stdout, in the same order.

A case is `{"model", "prompt", "completion", "cache_read", "cache_write", "service_tier"}`; `prompt`
includes the cached tokens, as `litellm.cost_per_token` counts them.
"""

import json
import os
import sys

# The bundled table, never a download: the comparison is against the file sluice imported.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import litellm  # noqa: E402

litellm.suppress_debug_info = True


def price(case):
    try:
        prompt, completion = litellm.cost_per_token(
            model=case["model"],
            prompt_tokens=case["prompt"],
            completion_tokens=case["completion"],
            cache_read_input_tokens=case["cache_read"],
            cache_creation_input_tokens=case["cache_write"],
            service_tier=case.get("service_tier"),
        )
        return {"cost": prompt + completion}
    except Exception as e:  # noqa: BLE001 - any failure is reported per case
        return {"error": f"{type(e).__name__}: {str(e)[:200]}"}


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        # Where the bundled table is: the file to import.
        path = os.path.join(os.path.dirname(litellm.__file__), "model_prices_and_context_window_backup.json")
        print(path)
    else:
        json.dump([price(c) for c in json.load(sys.stdin)], sys.stdout)
