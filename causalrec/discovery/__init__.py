"""Causal discovery pieces of CausalRec (paper §4.1): eq. (7), (8) and (18).

* :mod:`.covariance` positional covariance of the discovery block (eq. 7).
* :mod:`.acyclicity` smooth acyclicity functions: NOTEARS ``expm`` (eq. 8), DAG-GNN
  ``poly``, DAGMA ``logdet``, NO-BEARS ``spectral``.
* :mod:`.dag_target` which matrix is penalised (``paper``, ``offdiag``, ``sem``).
* :mod:`.lagrangian` the β/ρ schedule of the augmented Lagrangian (eq. 18).
"""

from causalrec.discovery.acyclicity import (
    ACYCLICITY,
    acyclicity,
    h_expm,
    h_logdet,
    h_poly,
    h_spectral,
)
from causalrec.discovery.covariance import batch_covariance, sequence_covariance, standardise
from causalrec.discovery.dag_target import (
    DAG_TARGETS,
    SEMAdjacency,
    dag_matrix,
    dag_penalty_terms,
    offdiag,
)
from causalrec.discovery.lagrangian import AugmentedLagrangian

__all__ = [
    "ACYCLICITY",
    "DAG_TARGETS",
    "AugmentedLagrangian",
    "SEMAdjacency",
    "acyclicity",
    "batch_covariance",
    "dag_matrix",
    "dag_penalty_terms",
    "h_expm",
    "h_logdet",
    "h_poly",
    "h_spectral",
    "offdiag",
    "sequence_covariance",
    "standardise",
]
