"""Real-looking CVs made on the fly: PDF (fpdf2) and DOCX (python-docx), English and Portuguese."""

from __future__ import annotations

# the same generators the demo seed and the benchmark use
from portal.seed.recruiting import text_docx as make_docx  # noqa: F401
from portal.seed.recruiting import text_pdf as make_pdf  # noqa: F401

CV_PT = """Mariana Conceição Araújo
mariana.araujo@example.com.br | +55 (11) 98765-4321 | São Paulo - SP

Resumo
Analista financeira com experiência em conciliação bancária e gestão de contas a pagar.

Experiência profissional
Analista Financeira - Transportes Andrade Ltda., 01/03/2019 - atual
Conciliação bancária, planilhas avançadas, fechamento mensal e relatórios gerenciais.
Assistente Financeira - Comércio Ipiranga S.A., 05/2016 - 02/2019
Contas a pagar e a receber, emissão de notas fiscais, atendimento a fornecedores.

Formação
Bacharelado em Ciências Contábeis - Universidade de São Paulo, 2012 - 2015

Idiomas
Inglês intermediário, espanhol básico
"""

CV_EN = """James O'Connor
james.oconnor@example.com  +1 (650) 253-0000

Summary
Finance analyst with solid experience in accounts payable and reporting.

Experience
Senior Accountant, Brightline Logistics, Jan 2018 - present
Month-end close, bank reconciliation, Excel models, SAP FI.
Accountant, Harbor Foods, 06/2014 - 12/2017
Accounts payable, vendor management, SQL reports.

Education
BSc Accounting, 2010 - 2014
"""

CV_WEAK = """Pedro Henrique Lima
pedro.lima@example.com
(21) 99876-5432

Experiência
Vendedor - Loja Centro, 2022 - 2023
Atendimento ao cliente e organização do estoque.
"""


REQUIREMENTS = [
    {"name": "Conciliação bancária", "synonyms": ["bank reconciliation"], "kind": "must"},
    {"name": "Excel", "synonyms": ["planilhas", "spreadsheets"], "kind": "must"},
    {"name": "Contas a pagar", "synonyms": ["accounts payable"], "kind": "must"},
    {"name": "SAP", "synonyms": ["SAP FI", "TOTVS"], "kind": "nice", "weight": 3},
    {"name": "SQL", "synonyms": [], "kind": "nice", "weight": 1},
    {"name": "Inglês", "synonyms": ["English"], "kind": "nice", "weight": 2},
]
