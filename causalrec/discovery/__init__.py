"""Causal discovery pieces of CausalRec (paper §4.1): eq. (7), (8) and (18).

* :mod:`.covariance` positional covariance of the discovery block (eq. 7).
* :mod:`.acyclicity` smooth acyclicity functions: NOTEARS ``expm`` (eq. 8), DAG-GNN
  ``poly``, DAGMA ``logdet``, NO-BEARS ``spectral``.
* :mod:`.dag_target` which matrix is penalised (``paper``, ``offdiag``, ``sem``).
* :mod:`.lagrangian` the β/ρ schedule of the augmented Lagrangian (eq. 18).

The causal-discovery lab (book chapters 2–3):

* :mod:`.sem` random DAGs (ER, scale-free), linear SEM data, population covariance,
  ``count_accuracy`` metrics and varsortability (reference NOTEARS conventions).
* :mod:`.notears` linear NOTEARS on data or on a covariance, any acyclicity function.
* :mod:`.experiments` NOTEARS benchmark and sweeps; :mod:`.identifiability`
  exhaustive search over orderings; :mod:`.acyclicity_cost` Table 1 measured;
  :mod:`.target_dynamics` h under each ``dag_target`` and the eq. (18) trajectories.
"""

from causalrec.discovery.acyclicity import (
    ACYCLICITY,
    acyclicity,
    h_expm,
    h_logdet,
    h_poly,
    h_spectral,
)
from causalrec.discovery.acyclicity_cost import acyclicity_cost
from causalrec.discovery.covariance import batch_covariance, sequence_covariance, standardise
from causalrec.discovery.dag_target import (
    DAG_TARGETS,
    SEMAdjacency,
    dag_matrix,
    dag_penalty_terms,
    offdiag,
)
from causalrec.discovery.experiments import (
    CONDITIONS,
    SEMDataset,
    make_dataset,
    notears_benchmark,
    notears_sweep,
    summarise,
    varsortability_study,
)
from causalrec.discovery.identifiability import (
    best_dag_for_ordering,
    exhaustive_search,
    identifiability_experiment,
)
from causalrec.discovery.lagrangian import AugmentedLagrangian
from causalrec.discovery.notears import NotearsResult, notears_linear
from causalrec.discovery.sem import (
    NotADAGError,
    count_accuracy,
    is_dag,
    population_covariance,
    scale_to_unit_variance,
    simulate_dag,
    simulate_linear_sem,
    simulate_parameter,
    varsortability,
)
from causalrec.discovery.target_dynamics import h_by_target, lagrangian_trajectories

__all__ = [
    "ACYCLICITY",
    "CONDITIONS",
    "DAG_TARGETS",
    "AugmentedLagrangian",
    "NotADAGError",
    "NotearsResult",
    "SEMAdjacency",
    "SEMDataset",
    "acyclicity",
    "acyclicity_cost",
    "batch_covariance",
    "best_dag_for_ordering",
    "count_accuracy",
    "dag_matrix",
    "dag_penalty_terms",
    "exhaustive_search",
    "h_by_target",
    "h_expm",
    "h_logdet",
    "h_poly",
    "h_spectral",
    "identifiability_experiment",
    "is_dag",
    "lagrangian_trajectories",
    "make_dataset",
    "notears_benchmark",
    "notears_linear",
    "notears_sweep",
    "offdiag",
    "population_covariance",
    "scale_to_unit_variance",
    "sequence_covariance",
    "simulate_dag",
    "simulate_linear_sem",
    "simulate_parameter",
    "standardise",
    "summarise",
    "varsortability",
    "varsortability_study",
]
