-- Every person_id with more than one row in dq.person: person_id, copies.
select
    person_id,
    count(*) as copies
from dq.person
group by person_id
